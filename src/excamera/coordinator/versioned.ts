// Versions of one array that all read as they were: the mechanism under
// PVec (pvec.ts) and PTable (ptable.ts).
//
// Copying a whole array per change would make a coordinator step cost
// O(workers). Instead all versions share one flat array (Baker's "shallow
// binding", as in Conchon and Filliâtre's persistent arrays): the newest
// version owns the array, and each older version is a diff — the (index, old
// value) pairs that turn the next version's array into its own, and a link to
// that next version. A change writes the array in place and turns the version
// it came from into such a diff (`retire`): O(changes) time, and the array
// stays flat and cache-friendly however many workers there are.
//
// Reading an older version first "reroots" (`own`): it walks the diffs to the
// owner, undoes them into the array and leaves the reverse diffs behind, so
// the old version owns the array and the newer ones read through it. That
// costs the changes between the two; the coordinator's shells only ever go
// forward, so they never pay it, and tests that keep old states still see
// them unchanged.

export abstract class Versioned<V, A extends { [index: number]: V }> {
  /** The shared array while this version owns it, else null. */
  private data: A | null;
  /** As a diff: (index, value) pairs that make `next`'s array this version's, applied last to first. */
  private undo: (number | V)[] | null = null;
  private next: Versioned<V, A> | null = null;

  protected constructor(data: A) {
    this.data = data;
  }

  /** This version becomes the diff `undo` against `next`, which owns the array now. */
  protected retire(next: Versioned<V, A>, undo: (number | V)[]): void {
    this.data = null;
    this.undo = undo;
    this.next = next;
  }

  /** The shared array, after making this version its owner. */
  protected own(): A {
    if (this.data !== null) return this.data;
    // The chain of diffs from this version to the owner, walked without
    // recursion (it can be as long as the number of changes made since).
    const chain: Versioned<V, A>[] = [];
    let v: Versioned<V, A> = this;
    while (v.data === null) {
      chain.push(v);
      v = v.next!;
    }
    for (let i = chain.length - 1; i >= 0; i--) {
      const diff = chain[i]!;
      const owner = diff.next!;
      const data = owner.data!;
      const undo = diff.undo!;
      // Undo last to first, logging what is overwritten: the owner's own
      // diff, which applied last to first replays the change in its order.
      const redo: (number | V)[] = [];
      for (let k = undo.length - 2; k >= 0; k -= 2) {
        const index = undo[k] as number;
        redo.push(index, data[index]!);
        data[index] = undo[k + 1] as V;
      }
      owner.retire(diff, redo);
      diff.data = data;
      diff.undo = null;
      diff.next = null;
    }
    return this.data!;
  }
}
