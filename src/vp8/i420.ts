// RFC 6386 section 2: the 4:2:0 picture format, as packed I420 bytes.
//
// A picture of W×H luma samples has chroma planes of ceil(W/2)×ceil(H/2)
// samples: an odd width or height still gets a chroma sample for its last
// column or row. Packed I420 is the Y plane, then U, then V, rows without
// padding — the layout of Y4M frames, of raw chunks and of the test vectors'
// md5 sums. Every module that sizes or slices such a frame uses these
// functions, so that no one rounds the chroma size down (W·H·3/2 is wrong for
// odd sizes).

/** Chroma samples per row (or rows) for `luma` luma samples: ceil(luma / 2). */
export function chromaSize(luma: number): number {
  return (luma + 1) >> 1;
}

/** Where each plane of a packed I420 frame lies. */
export interface I420Layout {
  readonly width: number;
  readonly height: number;
  readonly chromaWidth: number;
  readonly chromaHeight: number;
  /** Byte offsets of the U and V planes (Y starts at 0). */
  readonly uOffset: number;
  readonly vOffset: number;
  /** Bytes of the whole frame. */
  readonly size: number;
}

export function i420Layout(width: number, height: number): I420Layout {
  const chromaWidth = chromaSize(width);
  const chromaHeight = chromaSize(height);
  const uOffset = width * height;
  const vOffset = uOffset + chromaWidth * chromaHeight;
  return { width, height, chromaWidth, chromaHeight, uOffset, vOffset, size: vOffset + chromaWidth * chromaHeight };
}

/** Bytes of one packed I420 frame of `width`×`height`. */
export function i420Size(width: number, height: number): number {
  return width * height + 2 * chromaSize(width) * chromaSize(height);
}
