/**
 * A small line-chart renderer and PNG encoder (no plotting library is installed): an RGB canvas,
 * lines rasterised by hand, a 5×7 bitmap font for labels, and PNG chunks built with node:zlib
 * and a CRC-32 table.
 */
import { deflateSync } from "node:zlib";

export type Rgb = [number, number, number];

export interface Series {
  name: string;
  color: Rgb;
  /** [x, y] points, x increasing. */
  points: [number, number][];
}

export interface Marker {
  x: number;
  label: string;
}

export interface LineChart {
  width: number;
  height: number;
  title: string;
  xLabel: string;
  yLabel: string;
  xMax: number;
  yMax: number;
  xTicks: number[];
  yTicks: number[];
  series: Series[];
  markers?: Marker[];
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (ISO-HDLC, as PNG uses). */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, "ascii");
  Buffer.from(data).copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** Encodes an RGB canvas (row-major, 3 bytes a pixel) as an 8-bit truecolour PNG. */
export function encodePng(width: number, height: number, rgb: Uint8Array): Buffer {
  if (rgb.length !== width * height * 3) throw new RangeError("canvas size does not match width × height × 3");
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 3 + 1)] = 0;
    raw.set(rgb.subarray(y * width * 3, (y + 1) * width * 3), y * (width * 3 + 1) + 1);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(raw)),
    chunk("IEND", new Uint8Array()),
  ]);
}

// 5×7 glyphs, one string of 35 bits per character (rows top to bottom).
const FONT: Record<string, string> = {
  "0": "01110100011001110101110011000101110",
  "1": "00100011000010000100001000010001110",
  "2": "01110100010000100010001000100011111",
  "3": "11111000100010000010000011000101110",
  "4": "00010001100101010010111110001000010",
  "5": "11111100001111000001000011000101110",
  "6": "00110010001000011110100011000101110",
  "7": "11111000010001000100010000100001000",
  "8": "01110100011000101110100011000101110",
  "9": "01110100011000101111000010001001100",
  A: "01110100011000111111100011000110001",
  B: "11110100011000111110100011000111110",
  C: "01110100011000010000100001000101110",
  D: "11100100101000110001100011001011100",
  E: "11111100001000011110100001000011111",
  F: "11111100001000011110100001000010000",
  G: "01110100011000010111100011000101111",
  H: "10001100011000111111100011000110001",
  I: "01110001000010000100001000010001110",
  K: "10001100101010011000101001001010001",
  L: "10000100001000010000100001000011111",
  M: "10001110111010110101100011000110001",
  N: "10001100011100110101100111000110001",
  O: "01110100011000110001100011000101110",
  P: "11110100011000111110100001000010000",
  R: "11110100011000111110101001001010001",
  S: "01111100001000001110000010000111110",
  T: "11111001000010000100001000010000100",
  U: "10001100011000110001100011000101110",
  V: "10001100011000110001100010101000100",
  W: "10001100011000110101101011010101010",
  X: "10001100010101000100010101000110001",
  Y: "10001100010101000100001000010000100",
  " ": "00000000000000000000000000000000000",
  ".": "00000000000000000000000000110001100",
  ",": "00000000000000000000011000010001000",
  "-": "00000000000000011111000000000000000",
  ":": "00000011000110000000011000110000000",
  "(": "00010001000100001000010000010000010",
  ")": "01000001000001000010000100010001000",
  "/": "00001000100001000100010000100010000",
  "%": "11001110010001000100010001001110011",
};

class Canvas {
  readonly rgb: Uint8Array;

  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.rgb = new Uint8Array(width * height * 3).fill(255);
  }

  set(x: number, y: number, c: Rgb): void {
    x = Math.round(x);
    y = Math.round(y);
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    this.rgb.set(c, (y * this.width + x) * 3);
  }

  rect(x0: number, y0: number, w: number, h: number, c: Rgb): void {
    for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) this.set(x, y, c);
  }

  /** A line `thickness` pixels wide, stepping along the longer axis. */
  line(x0: number, y0: number, x1: number, y1: number, c: Rgb, thickness = 1): void {
    const steps = Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0), 1);
    const r = Math.floor((thickness - 1) / 2);
    for (let i = 0; i <= steps; i++) {
      const x = x0 + ((x1 - x0) * i) / steps;
      const y = y0 + ((y1 - y0) * i) / steps;
      for (let dx = -r; dx <= thickness - 1 - r; dx++)
        for (let dy = -r; dy <= thickness - 1 - r; dy++) this.set(x + dx, y + dy, c);
    }
  }

  dashedVertical(x: number, y0: number, y1: number, c: Rgb): void {
    for (let y = y0; y <= y1; y++) if (Math.floor(y / 6) % 2 === 0) this.set(x, y, c);
  }

  /** Text in the bitmap font, upper-cased, `scale` pixels a font pixel; returns its width. */
  text(x: number, y: number, s: string, c: Rgb, scale = 2): number {
    let cx = x;
    for (const ch of s.toUpperCase()) {
      const glyph = FONT[ch] ?? FONT["-"]!;
      for (let row = 0; row < 7; row++)
        for (let col = 0; col < 5; col++)
          if (glyph[row * 5 + col] === "1") this.rect(cx + col * scale, y + row * scale, scale, scale, c);
      cx += 6 * scale;
    }
    return cx - x;
  }
}

export const textWidth = (s: string, scale = 2): number => s.length * 6 * scale;

/** Renders a line chart to PNG bytes. */
export function renderLineChart(chart: LineChart): Buffer {
  const canvas = new Canvas(chart.width, chart.height);
  const black: Rgb = [0, 0, 0];
  const grey: Rgb = [225, 225, 225];
  const [left, right, top, bottom] = [110, 30, 60, 100];
  const plotW = chart.width - left - right;
  const plotH = chart.height - top - bottom;
  const px = (x: number) => left + (x / chart.xMax) * plotW;
  const py = (y: number) => top + plotH - (y / chart.yMax) * plotH;

  canvas.text((chart.width - textWidth(chart.title, 3)) / 2, 15, chart.title, black, 3);
  for (const t of chart.yTicks) {
    canvas.line(left, py(t), left + plotW, py(t), grey);
    const label = String(t);
    canvas.text(left - 10 - textWidth(label), py(t) - 7, label, black);
  }
  for (const t of chart.xTicks) {
    canvas.line(px(t), top, px(t), top + plotH, grey);
    const label = String(t);
    canvas.text(px(t) - textWidth(label) / 2, top + plotH + 10, label, black);
  }
  canvas.line(left, top, left, top + plotH, black, 2);
  canvas.line(left, top + plotH, left + plotW, top + plotH, black, 2);
  canvas.text(left + (plotW - textWidth(chart.xLabel)) / 2, top + plotH + 35, chart.xLabel, black);
  canvas.text(10, top - 25, chart.yLabel, black);

  for (const m of chart.markers ?? []) {
    canvas.dashedVertical(Math.round(px(m.x)), top, top + plotH, [120, 120, 120]);
    canvas.text(px(m.x) + 6, top + 6, m.label, [90, 90, 90]);
  }
  for (const s of chart.series) {
    for (let i = 1; i < s.points.length; i++) {
      const [a, b] = [s.points[i - 1]!, s.points[i]!];
      canvas.line(px(a[0]), py(a[1]), px(b[0]), py(b[1]), s.color, 3);
    }
  }
  let lx = left + 20;
  const ly = chart.height - 28;
  for (const s of chart.series) {
    canvas.rect(lx, ly + 2, 24, 10, s.color);
    lx += 32 + canvas.text(lx + 32, ly, s.name, black) + 24;
  }
  return encodePng(chart.width, chart.height, canvas.rgb);
}
