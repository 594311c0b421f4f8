// Just enough PNG and WebP parsing to check what the server stores, without native modules.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import zlib from 'node:zlib';

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export function sha256(buf) {
  return crypto.createHash('sha256').update(buf).digest('hex');
}

// AUTOMATIC1111's short hash of a LoRA file ("Lora hashes"): the SHA-256 of everything after the
// safetensors header, 12 hex digits.
export function loraHash(file) {
  const bytes = fs.readFileSync(file);
  return sha256(bytes.subarray(8 + Number(bytes.readBigUInt64LE(0)))).slice(0, 12);
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

// The PNG with a chunk of that type and data inserted right after IHDR (an eXIf or tEXt chunk,
// say).
export function insertPngChunk(png, type, data) {
  const afterIhdr = 8 + 12 + 13;
  return Buffer.concat([png.subarray(0, afterIhdr), chunk(type, data), png.subarray(afterIhdr)]);
}

// A big-endian EXIF block (TIFF header and one directory) holding only the Orientation tag.
export function exifOrientation(orientation) {
  const tiff = Buffer.alloc(26);
  tiff.write('MM\0*', 0, 'latin1');
  tiff.writeUInt32BE(8, 4); // the directory follows the header
  tiff.writeUInt16BE(1, 8); // one entry
  tiff.writeUInt16BE(0x0112, 10); // Orientation
  tiff.writeUInt16BE(3, 12); // SHORT
  tiff.writeUInt32BE(1, 14); // one value
  tiff.writeUInt16BE(orientation, 18);
  return tiff; // the next-directory offset (bytes 22..25) stays 0
}

// A greyscale baseline JPEG made of flat 8x8 blocks: `blocks` is rows of grey levels, one per
// block, so the picture is 8 * columns wide and 8 * rows high. Written by hand (quantization 1,
// the DC coefficient alone, the standard luminance DC codes, an AC table holding only
// end-of-block), so tests can make JPEGs, with an EXIF Orientation when `orientation` is given,
// without a native encoder.
export function blockJpeg(blocks, { orientation } = {}) {
  const segment = (marker, payload) => {
    const head = Buffer.from([0xff, marker, 0, 0]);
    head.writeUInt16BE(payload.length + 2, 2);
    return Buffer.concat([head, Buffer.from(payload)]);
  };
  const height = blocks.length * 8;
  const width = blocks[0].length * 8;
  const dcCounts = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0];
  // Canonical Huffman codes of the DC categories 0..11.
  const dcCodes = [];
  let code = 0;
  for (let length = 1, symbol = 0; length <= 16; length++, code <<= 1) {
    for (let i = 0; i < dcCounts[length - 1]; i++) dcCodes[symbol++] = { code: code++, length };
  }
  const bytes = [];
  let acc = 0;
  let bits = 0;
  const put = (value, length) => {
    for (let i = length - 1; i >= 0; i--) {
      acc = (acc << 1) | ((value >> i) & 1);
      if (++bits === 8) {
        bytes.push(acc);
        if (acc === 0xff) bytes.push(0); // byte stuffing
        acc = 0;
        bits = 0;
      }
    }
  };
  let previous = 0;
  for (const row of blocks) {
    for (const grey of row) {
      const dc = 8 * (grey - 128);
      const diff = dc - previous;
      previous = dc;
      const category = diff === 0 ? 0 : Math.floor(Math.log2(Math.abs(diff))) + 1;
      put(dcCodes[category].code, dcCodes[category].length);
      if (category > 0) put(diff > 0 ? diff : diff + (1 << category) - 1, category);
      put(0, 1); // end of block: every AC coefficient is 0
    }
  }
  if (bits > 0) put(0xff, 8 - bits); // pad with ones
  const parts = [Buffer.from([0xff, 0xd8])];
  if (orientation) {
    parts.push(segment(0xe1, Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), exifOrientation(orientation)])));
  }
  parts.push(
    segment(0xdb, [0, ...new Array(64).fill(1)]),
    segment(0xc0, [8, height >> 8, height & 0xff, width >> 8, width & 0xff, 1, 1, 0x11, 0]),
    segment(0xc4, [0x00, ...dcCounts, ...Array.from({ length: 12 }, (_, i) => i)]),
    segment(0xc4, [0x10, 1, ...new Array(15).fill(0), 0x00]),
    segment(0xda, [1, 1, 0x00, 0, 63, 0]),
    Buffer.from(bytes),
    Buffer.from([0xff, 0xd9]),
  );
  return Buffer.concat(parts);
}
