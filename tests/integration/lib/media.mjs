// Just enough PNG and WebP parsing to check what the server stores, without native modules.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import zlib from 'node:zlib';

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export function sha256(buf) {
  return crypto.createHash('sha256').update(buf).digest('hex');
}

export function isPng(buf) {
  return buf.length >= 8 && buf.subarray(0, 8).equals(PNG_SIGNATURE);
}

// Returns { width, height, bitDepth, colorType, chunks: [{type, data}], text: {keyword: text},
// idat (concatenated compressed data) }. Throws on a malformed file (bad CRC, truncation).
export function parsePng(buf) {
  assert.ok(isPng(buf), `not a PNG (first bytes ${buf.subarray(0, 8).toString('hex')})`);
  const chunks = [];
  const text = {};
  const idat = [];
  let off = 8;
  let ended = false;
  while (off < buf.length) {
    assert.ok(off + 12 <= buf.length, `PNG truncated at offset ${off}`);
    const len = buf.readUInt32BE(off);
    const type = buf.toString('latin1', off + 4, off + 8);
    assert.ok(off + 12 + len <= buf.length, `PNG chunk ${type} overruns the file`);
    const data = buf.subarray(off + 8, off + 8 + len);
    const crc = buf.readUInt32BE(off + 8 + len);
    if (typeof zlib.crc32 === 'function') {
      assert.equal(zlib.crc32(buf.subarray(off + 4, off + 8 + len)) >>> 0, crc, `PNG chunk ${type}: bad CRC`);
    }
    chunks.push({ type, data });
    if (type === 'IDAT') idat.push(data);
    if (type === 'tEXt') {
      const z = data.indexOf(0);
      text[data.toString('latin1', 0, z)] = data.toString('latin1', z + 1);
    } else if (type === 'zTXt') {
      const z = data.indexOf(0);
      text[data.toString('latin1', 0, z)] = zlib.inflateSync(data.subarray(z + 2)).toString('latin1');
    } else if (type === 'iTXt') {
      let p = data.indexOf(0);
      const keyword = data.toString('latin1', 0, p);
      const compressed = data[p + 1] === 1;
      p += 3;
      const langEnd = data.indexOf(0, p);
      const transEnd = data.indexOf(0, langEnd + 1);
      const body = data.subarray(transEnd + 1);
      text[keyword] = (compressed ? zlib.inflateSync(body) : body).toString('utf8');
    }
    off += 12 + len;
    if (type === 'IEND') { ended = true; break; }
  }
  assert.ok(ended, 'PNG has no IEND chunk');
  assert.equal(chunks[0]?.type, 'IHDR', 'the first PNG chunk must be IHDR');
  const ihdr = chunks[0].data;
  return {
    width: ihdr.readUInt32BE(0),
    height: ihdr.readUInt32BE(4),
    bitDepth: ihdr[8],
    colorType: ihdr[9],
    chunks,
    text,
    idat: Buffer.concat(idat),
  };
}

// The decompressed, still filtered scanlines: equal for equal pixels with the same filtering.
export function pngPixels(buf) {
  const png = parsePng(buf);
  return zlib.inflateSync(png.idat);
}

export function isWebp(buf) {
  return buf.length >= 16 && buf.toString('latin1', 0, 4) === 'RIFF' && buf.toString('latin1', 8, 12) === 'WEBP';
}

// Width and height from the first image chunk (VP8, VP8L or VP8X).
export function webpSize(buf) {
  assert.ok(isWebp(buf), `not a WebP (first bytes ${buf.subarray(0, 16).toString('hex')})`);
  const riffSize = buf.readUInt32LE(4);
  assert.equal(riffSize + 8, buf.length, 'WebP RIFF size does not match the file length');
  const fourcc = buf.toString('latin1', 12, 16);
  const d = 20;
  if (fourcc === 'VP8 ') {
    assert.ok(buf[d + 3] === 0x9d && buf[d + 4] === 0x01 && buf[d + 5] === 0x2a, 'VP8 start code missing');
    return { format: 'VP8', width: buf.readUInt16LE(d + 6) & 0x3fff, height: buf.readUInt16LE(d + 8) & 0x3fff };
  }
  if (fourcc === 'VP8L') {
    assert.equal(buf[d], 0x2f, 'VP8L signature missing');
    const bits = buf.readUInt32LE(d + 1);
    return { format: 'VP8L', width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (fourcc === 'VP8X') {
    const w = buf.readUIntLE(d + 4, 3) + 1;
    const h = buf.readUIntLE(d + 7, 3) + 1;
    return { format: 'VP8X', width: w, height: h };
  }
  assert.fail(`unknown WebP chunk ${JSON.stringify(fourcc)}`);
}

// Pixels of an 8-bit, non-interlaced RGB or RGBA PNG (what RenderMart and the test servers
// write): { width, height, channels, data } with data unfiltered, row after row.
export function decodePng(buf) {
  const png = parsePng(buf);
  assert.equal(png.bitDepth, 8, 'decodePng reads 8-bit PNGs only');
  const channels = { 2: 3, 6: 4 }[png.colorType];
  assert.ok(channels, `decodePng reads RGB and RGBA PNGs only (colour type ${png.colorType})`);
  assert.equal(png.chunks[0].data[12], 0, 'decodePng reads non-interlaced PNGs only');
  const raw = zlib.inflateSync(png.idat);
  const stride = png.width * channels;
  const data = Buffer.alloc(stride * png.height);
  for (let y = 0; y < png.height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? data[y * stride + x - channels] : 0;
      const b = y > 0 ? data[(y - 1) * stride + x] : 0;
      const c = x >= channels && y > 0 ? data[(y - 1) * stride + x - channels] : 0;
      let predictor = 0;
      if (filter === 1) predictor = a;
      else if (filter === 2) predictor = b;
      else if (filter === 3) predictor = (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      data[y * stride + x] = (line[x] + predictor) & 0xff;
    }
  }
  return { width: png.width, height: png.height, channels, data };
}

function chunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

// An 8-bit PNG from raw pixels (channels 3: RGB, 4: RGBA), rows unfiltered.
export function encodePng(width, height, channels, data) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = channels === 4 ? 6 : 2;
  const stride = width * channels;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) data.copy(raw, y * (stride + 1) + 1, y * stride, (y + 1) * stride);
  return Buffer.concat([PNG_SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

// A PNG of one colour ([r, g, b] or [r, g, b, a]).
export function solidPng(width, height, colour) {
  const data = Buffer.alloc(width * height * colour.length);
  for (let i = 0; i < width * height; i++) data.set(colour, i * colour.length);
  return encodePng(width, height, colour.length, data);
}
