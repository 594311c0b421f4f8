// The Bedrock image models of the test server: each one's documented request schema, checked
// field by field, and the answers it gives.
//   Titan Image Generator G1 v2: docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-titan-image.html
//   Nova Canvas: docs.aws.amazon.com/nova/latest/userguide/image-gen-req-resp-structure.html
//   Stability AI: docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-diffusion-3-5-large.html
//                 (and the Stable Image Core / Ultra pages)
//   Stability AI Image Services: docs.aws.amazon.com/bedrock/latest/userguide/stable-image-services.html
//                 (the fields, ranges and limits as Stability AI's own API reference gives them for
//                 its v2beta endpoints: its OpenAPI description, api.stability.ai/v2alpha/openapi;
//                 docs/cloud-models.md says where each comes from)

import { createHash } from 'node:crypto';

import { decodePng, encodePng } from '../../integration/lib/media.mjs';

const TITAN_SIZES = [
  [1024, 1024], [768, 768], [512, 512], [768, 1152], [384, 576], [1152, 768], [576, 384],
  [768, 1280], [384, 640], [1280, 768], [640, 384], [896, 1152], [448, 576], [1152, 896],
  [576, 448], [768, 1408], [384, 704], [1408, 768], [704, 384], [640, 1408], [320, 704],
  [1408, 640], [704, 320], [1152, 640], [1173, 640],
];
const NOVA_STYLES = ['3D_ANIMATED_FAMILY_FILM', 'DESIGN_SKETCH', 'FLAT_VECTOR_ILLUSTRATION',
  'GRAPHIC_NOVEL_ILLUSTRATION', 'MAXIMALISM', 'MIDCENTURY_RETRO', 'PHOTOREALISM', 'SOFT_DIGITAL_PAINTING'];
// Stability's aspect_ratio enum, and the size this server makes for each.
const STABILITY_RATIOS = {
  '1:1': [1024, 1024], '16:9': [1344, 768], '21:9': [1536, 640], '2:3': [832, 1216], '3:2': [1216, 832],
  '4:5': [896, 1088], '5:4': [1088, 896], '9:16': [768, 1344], '9:21': [640, 1536],
};

const titan = {
  // Legacy, end of life 2026-06-30 (its model card in the Bedrock user guide).
  family: 'amazon', name: 'Titan Image Generator G1 v2', provider: 'Amazon',
  lifecycle: { status: 'LEGACY', endOfLifeTime: '2026-06-30T00:00:00Z' },
  maxText: 512, maxSeed: 2147483646, styles: false,
  sizeProblem: (w, h) => (TITAN_SIZES.some(([a, b]) => a === w && b === h)
    ? null : `Value of (width, height) is not valid. Given: (${w}, ${h})`),
};
const nova = {
  // Legacy, end of life 2026-09-30 (public lifecycle pages; docs/cloud-models.md).
  family: 'amazon', name: 'Nova Canvas', provider: 'Amazon',
  lifecycle: { status: 'LEGACY', endOfLifeTime: '2026-09-30T00:00:00Z' },
  maxText: 1024, maxSeed: 858993459, styles: true,
  sizeProblem: (w, h) => {
    if (w < 320 || w > 4096 || h < 320 || h > 4096) return 'width and height must be between 320 and 4096';
    if (w % 16 || h % 16) return 'width and height must be divisible by 16';
    if (w * h >= 4194304) return 'the total pixel count must be less than 4,194,304';
    if (Math.max(w, h) / Math.min(w, h) > 4) return 'the aspect ratio must be between 1:4 and 4:1';
    return null;
  },
};
const stability = (name, imageToImage) => ({
  family: 'stability', name, provider: 'Stability AI', lifecycle: { status: 'ACTIVE' }, imageToImage,
});

// Stability AI's image services: each one's fields (required, optional: a type or a numeric
// range), the most pixels its source may have, and the size of what it answers given its source.
// style_preset is one of STYLE_PRESETS, and only where Stability's reference lists it.
const STYLE_PRESETS = ['3d-model', 'analog-film', 'anime', 'cinematic', 'comic-book', 'digital-art', 'enhance',
  'fantasy-art', 'isometric', 'line-art', 'low-poly', 'modeling-compound', 'neon-punk', 'origami', 'photographic',
  'pixel-art', 'tile-texture'];
const PROMPT = { prompt: 'text', negative_prompt: 'text', seed: 'seed', output_format: 'format' };
const PRESET = { style_preset: 'preset' };
const service = (name, { required, optional = {}, maxPixels = 9437184, answer = (source) => [source.width, source.height] }) => ({
  family: 'service', name, provider: 'Stability AI', lifecycle: { status: 'ACTIVE' }, required, optional, maxPixels, answer,
});
const SERVICES = {
  'stability.stable-creative-upscale-v1:0': service('Stable Image Creative Upscale', {
    required: ['image', 'prompt'], optional: { ...PROMPT, ...PRESET, creativity: [0.1, 0.5] }, maxPixels: 1048576,
    answer: (s) => { const k = Math.sqrt(4194304 / (s.width * s.height)); return [Math.round(s.width * k), Math.round(s.height * k)]; },
  }),
  'stability.stable-conservative-upscale-v1:0': service('Stable Image Conservative Upscale', {
    required: ['image', 'prompt'], optional: { ...PROMPT, creativity: [0.2, 0.5] },
    answer: (s) => { const k = Math.sqrt(4194304 / (s.width * s.height)); return [Math.round(s.width * k), Math.round(s.height * k)]; },
  }),
  'stability.stable-fast-upscale-v1:0': service('Stable Image Fast Upscale', {
    required: ['image'], optional: { output_format: 'format' }, maxPixels: 1048576, answer: (s) => [s.width * 4, s.height * 4],
  }),
  'stability.stable-image-inpaint-v1:0': service('Stable Image Inpaint', {
    required: ['image', 'prompt'], optional: { ...PROMPT, ...PRESET, mask: 'image', grow_mask: [0, 100] },
  }),
  'stability.stable-outpaint-v1:0': service('Stable Image Outpaint', {
    required: ['image'], optional: { prompt: 'text', seed: 'seed', output_format: 'format', ...PRESET, creativity: [0, 1], left: [0, 2000], right: [0, 2000], up: [0, 2000], down: [0, 2000] },
    answer: (s, body) => [s.width + (body.left ?? 0) + (body.right ?? 0), s.height + (body.up ?? 0) + (body.down ?? 0)],
  }),
  'stability.stable-image-erase-object-v1:0': service('Stable Image Erase Object', {
    required: ['image'], optional: { mask: 'image', grow_mask: [0, 20], seed: 'seed', output_format: 'format' },
  }),
  'stability.stable-image-search-replace-v1:0': service('Stable Image Search and Replace', {
    required: ['image', 'prompt', 'search_prompt'], optional: { ...PROMPT, ...PRESET, search_prompt: 'text', grow_mask: [0, 20] },
  }),
  'stability.stable-image-search-recolor-v1:0': service('Stable Image Search and Recolor', {
    required: ['image', 'prompt', 'select_prompt'], optional: { ...PROMPT, ...PRESET, select_prompt: 'text', grow_mask: [0, 20] },
  }),
  'stability.stable-image-remove-background-v1:0': service('Stable Image Remove Background', {
    required: ['image'], optional: { output_format: 'format' }, maxPixels: 4194304,
  }),
  'stability.stable-image-control-sketch-v1:0': service('Stable Image Control Sketch', {
    required: ['image', 'prompt'], optional: { ...PROMPT, ...PRESET, control_strength: [0, 1] },
  }),
  'stability.stable-image-control-structure-v1:0': service('Stable Image Control Structure', {
    required: ['image', 'prompt'], optional: { ...PROMPT, ...PRESET, control_strength: [0, 1] },
  }),
  'stability.stable-image-style-guide-v1:0': service('Stable Image Style Guide', {
    required: ['image', 'prompt'], optional: { ...PROMPT, ...PRESET, fidelity: [0, 1], aspect_ratio: 'ratio' },
    answer: (s, body) => STABILITY_RATIOS[body.aspect_ratio ?? '1:1'],
  }),
  'stability.stable-style-transfer-v1:0': service('Stable Image Style Transfer', {
    required: ['init_image', 'style_image'], optional: { ...PROMPT, style_image: 'image', composition_fidelity: [0, 1], style_strength: [0, 1], change_strength: [0.1, 1] },
  }),
};

export const MODELS = {
  ...SERVICES,
  'amazon.titan-image-generator-v2:0': titan,
  'amazon.nova-canvas-v1:0': nova,
  'stability.sd3-5-large-v1:0': stability('Stable Diffusion 3.5 Large', true),
  'stability.stable-image-core-v1:1': stability('Stable Image Core', false),
  'stability.stable-image-ultra-v1:1': stability('Stable Image Ultra', false),
};

// ---- Checks. Each returns a problem (AWS's wording where known) or null. ----

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

function extraneous(object, allowed, where) {
  for (const key of Object.keys(object)) {
    if (!allowed.includes(key)) return `${where}: extraneous key [${key}] is not permitted`;
  }
  return null;
}

function text(value, where, max, { required = false } = {}) {
  if (value === undefined) return required ? `${where}: required key not found` : null;
  if (typeof value !== 'string') return `${where}: expected type: String`;
  if (value.length < 1 || value.length > max) return `${where}: expected length between 1 and ${max}, found ${value.length}`;
  return null;
}

function number(value, where, min, max, { integer = false } = {}) {
  if (value === undefined) return null;
  if (typeof value !== 'number' || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    return `${where}: expected type: ${integer ? 'Integer' : 'Number'}`;
  }
  if (value < min || value > max) return `${where}: ${value} is not between ${min} and ${max}`;
  return null;
}

function image(value, where) {
  if (typeof value !== 'string') return { problem: `${where}: expected a base64 string` };
  const bytes = Buffer.from(value, 'base64');
  if (bytes.toString('base64') !== value) return { problem: `${where}: not valid base64` };
  try {
    return { png: decodePng(bytes) };
  } catch (error) {
    return { problem: `${where}: not a PNG or JPEG image (${error.message})` };
  }
}

// Nova and Titan: input images may carry alpha, but no transparent pixel.
function opaque(png) {
  if (png.channels === 3) return true;
  for (let i = 3; i < png.data.length; i += 4) if (png.data[i] !== 255) return false;
  return true;
}

function maskStats(png) {
  let black = 0;
  let binary = true;
  for (let i = 0; i < png.width * png.height; i++) {
    const p = png.data.subarray(i * png.channels, i * png.channels + 3);
    if (p[0] === 0 && p[1] === 0 && p[2] === 0) black += 1;
    else if (!(p[0] === 255 && p[1] === 255 && p[2] === 255)) binary = false;
  }
  return { binary, black_fraction: black / (png.width * png.height) };
}

const AMAZON_TASKS = {
  TEXT_IMAGE: 'textToImageParams',
  IMAGE_VARIATION: 'imageVariationParams',
  INPAINTING: 'inPaintingParams',
  OUTPAINTING: 'outPaintingParams',
  BACKGROUND_REMOVAL: 'backgroundRemovalParams',
  COLOR_GUIDED_GENERATION: 'colorGuidedGenerationParams',
};

function validateAmazon(model, body) {
  const top = extraneous(body, ['taskType', 'imageGenerationConfig', ...Object.values(AMAZON_TASKS)], '#');
  if (top) return top;
  const field = AMAZON_TASKS[body.taskType];
  if (!field) return `#/taskType: ${JSON.stringify(body.taskType)} is not a valid enum value`;
  for (const other of Object.values(AMAZON_TASKS)) {
    if (other !== field && body[other] !== undefined) return `#: extraneous key [${other}] is not permitted`;
  }
  const params = body[field];
  if (!isObject(params)) return `#/${field}: required key not found`;
  const where = `#/${field}`;
  const textKeys = (problemRequired) => [
    text(params.text, `${where}/text`, model.maxText, { required: problemRequired }),
    text(params.negativeText, `${where}/negativeText`, model.maxText),
  ];
  let problems = [];
  let source = null;
  const needImage = () => {
    const decoded = image(params.image, `${where}/image`);
    if (decoded.problem) return decoded.problem;
    if (!opaque(decoded.png)) return `${where}/image: the image must not contain transparent pixels`;
    source = decoded.png;
    return null;
  };
  switch (body.taskType) {
    case 'TEXT_IMAGE':
      problems = [extraneous(params, ['text', 'negativeText', ...(model.styles ? ['style'] : []), 'conditionImage', 'controlMode', 'controlStrength'], where),
        ...textKeys(true),
        params.style !== undefined && !NOVA_STYLES.includes(params.style) ? `${where}/style: ${params.style} is not a valid enum value` : null];
      break;
    case 'IMAGE_VARIATION': {
      problems = [extraneous(params, ['images', 'text', 'negativeText', 'similarityStrength'], where), ...textKeys(false),
        number(params.similarityStrength, `${where}/similarityStrength`, 0.2, 1.0)];
      if (!Array.isArray(params.images) || params.images.length < 1 || params.images.length > 5) {
        problems.push(`${where}/images: expected between 1 and 5 images`);
      } else {
        for (const [i, item] of params.images.entries()) {
          const decoded = image(item, `${where}/images/${i}`);
          problems.push(decoded.problem ?? (opaque(decoded.png) ? null : `${where}/images/${i}: transparent pixels`));
        }
      }
      break;
    }
    case 'INPAINTING':
    case 'OUTPAINTING': {
      problems = [extraneous(params, ['image', 'text', 'negativeText', 'maskPrompt', 'maskImage',
        ...(body.taskType === 'OUTPAINTING' ? ['outPaintingMode'] : [])], where), ...textKeys(false), needImage()];
      if ((params.maskPrompt === undefined) === (params.maskImage === undefined)) {
        problems.push(`${where}: exactly one of maskPrompt and maskImage is required`);
      }
      if (params.maskImage !== undefined && source) {
        const mask = image(params.maskImage, `${where}/maskImage`);
        if (mask.problem) problems.push(mask.problem);
        else if (mask.png.width !== source.width || mask.png.height !== source.height) problems.push(`${where}/maskImage: the mask must have the size of the image`);
        else if (!maskStats(mask.png).binary) problems.push(`${where}/maskImage: the mask must contain only pure black and pure white pixels`);
      }
      if (params.outPaintingMode !== undefined && !['DEFAULT', 'PRECISE'].includes(params.outPaintingMode)) {
        problems.push(`${where}/outPaintingMode: ${params.outPaintingMode} is not a valid enum value`);
      }
      break;
    }
    case 'BACKGROUND_REMOVAL':
      problems = [extraneous(params, ['image'], where), needImage(),
        body.imageGenerationConfig !== undefined ? '#: extraneous key [imageGenerationConfig] is not permitted' : null];
      break;
    default:
      return `#/taskType: ${body.taskType} is not supported by this test server`;
  }
  const problem = problems.find(Boolean);
  if (problem) return problem;
  const config = body.imageGenerationConfig;
  if (config === undefined) return null;
  if (!isObject(config)) return '#/imageGenerationConfig: expected type: JSONObject';
  const sized = ['TEXT_IMAGE', 'IMAGE_VARIATION', 'COLOR_GUIDED_GENERATION'].includes(body.taskType);
  const cw = '#/imageGenerationConfig';
  problems = [
    extraneous(config, ['numberOfImages', 'quality', 'cfgScale', 'seed', ...(sized ? ['width', 'height'] : [])], cw),
    number(config.numberOfImages, `${cw}/numberOfImages`, 1, 5, { integer: true }),
    config.quality !== undefined && !['standard', 'premium'].includes(config.quality) ? `${cw}/quality: ${config.quality} is not a valid enum value` : null,
    number(config.cfgScale, `${cw}/cfgScale`, 1.1, 10),
    number(config.seed, `${cw}/seed`, 0, model.maxSeed, { integer: true }),
  ];
  if (sized && (config.width !== undefined || config.height !== undefined)) {
    problems.push(number(config.width, `${cw}/width`, 1, 100000, { integer: true }) ??
      number(config.height, `${cw}/height`, 1, 100000, { integer: true }) ??
      model.sizeProblem(config.width ?? 1024, config.height ?? 1024));
  }
  return problems.find(Boolean) ?? null;
}

function validateStability(model, body) {
  const keys = ['prompt', 'negative_prompt', 'aspect_ratio', 'seed', 'output_format', ...(model.imageToImage ? ['mode', 'image', 'strength'] : [])];
  const problems = [extraneous(body, keys, '#')];
  if (typeof body.prompt !== 'string') problems.push('#/prompt: required key not found');
  else if (body.prompt.length > 10000) problems.push('#/prompt: expected maxLength: 10000');
  if (body.negative_prompt !== undefined && (typeof body.negative_prompt !== 'string' || body.negative_prompt.length > 10000)) {
    problems.push('#/negative_prompt: expected a string of at most 10000 characters');
  }
  problems.push(number(body.seed, '#/seed', 0, 4294967294, { integer: true }));
  if (body.output_format !== undefined && !['png', 'jpeg'].includes(body.output_format)) problems.push(`#/output_format: ${body.output_format} is not a valid enum value`);
  const mode = body.mode ?? 'text-to-image';
  if (!['text-to-image', 'image-to-image'].includes(mode)) problems.push(`#/mode: ${mode} is not a valid enum value`);
  if (mode === 'image-to-image') {
    if (body.aspect_ratio !== undefined) problems.push('#/aspect_ratio: only valid for text-to-image requests');
    const decoded = image(body.image, '#/image');
    problems.push(decoded.problem ?? null);
    if (body.strength === undefined) problems.push('#/strength: required for image-to-image requests');
    else problems.push(number(body.strength, '#/strength', 0, 1));
  } else {
    if (body.image !== undefined || body.strength !== undefined) problems.push('#: image and strength are for image-to-image requests');
    if (body.aspect_ratio !== undefined && !STABILITY_RATIOS[body.aspect_ratio]) problems.push(`#/aspect_ratio: ${body.aspect_ratio} is not a valid enum value`);
  }
  return problems.find(Boolean) ?? null;
}

function validateService(model, body) {
  const allowed = [...model.required, ...Object.keys(model.optional)];
  const problems = [extraneous(body, allowed, '#')];
  for (const key of model.required) if (body[key] === undefined) problems.push(`#/${key}: required key not found`);
  let source = null;
  for (const [key, value] of Object.entries(body)) {
    const rule = key === 'image' || key === 'init_image' ? 'image' : model.optional[key] ?? (key === 'prompt' ? 'text' : null);
    if (Array.isArray(rule)) problems.push(number(value, `#/${key}`, rule[0], rule[1], { integer: Number.isInteger(rule[0]) && rule[1] > 1 }));
    else if (rule === 'text') problems.push(text(value, `#/${key}`, 10000));
    else if (rule === 'seed') problems.push(number(value, `#/${key}`, 0, 4294967294, { integer: true }));
    else if (rule === 'format') problems.push(['png', 'jpeg', 'webp'].includes(value) ? null : `#/${key}: ${value} is not a valid enum value`);
    else if (rule === 'ratio') problems.push(STABILITY_RATIOS[value] ? null : `#/${key}: ${value} is not a valid enum value`);
    else if (rule === 'preset') problems.push(STYLE_PRESETS.includes(value) ? null : `#/${key}: ${value} is not a valid enum value`);
    else if (rule === 'image') {
      const decoded = image(value, `#/${key}`);
      problems.push(decoded.problem ?? null);
      if (decoded.png) {
        if (decoded.png.width < 64 || decoded.png.height < 64) problems.push(`#/${key}: every side must be at least 64 pixels`);
        if (decoded.png.width * decoded.png.height > model.maxPixels) problems.push(`#/${key}: at most ${model.maxPixels} pixels`);
        if (key === 'image' || key === 'init_image') source = decoded.png;
        if (key === 'mask' && !maskStats(decoded.png).binary) problems.push('#/mask: the mask must be black and white');
      }
    }
  }
  if (model.optional.left && !['left', 'right', 'up', 'down'].some((side) => body[side] > 0)) {
    problems.push('#: at least one of left, right, up and down must be above 0');
  }
  if (body.mask && source) {
    const mask = decodePng(Buffer.from(body.mask, 'base64'));
    if (mask.width !== source.width || mask.height !== source.height) problems.push('#/mask: the mask must have the size of the image');
  }
  return problems.find(Boolean) ?? null;
}

// A problem with the body for that model (AWS answers it as a ValidationException), or null.
export function validateBody(modelId, body) {
  const model = MODELS[modelId];
  if (!isObject(body)) return '#: expected type: JSONObject';
  if (model.family === 'service') return validateService(model, body);
  return model.family === 'amazon' ? validateAmazon(model, body) : validateStability(model, body);
}

// The body as tests see it: every base64 image replaced by its shape (and, for masks, whether it
// is pure black and white and how much of it is black).
export function describeBody(body) {
  const shape = (value, mask) => {
    const png = decodePng(Buffer.from(value, 'base64'));
    return { png: { width: png.width, height: png.height, channels: png.channels }, ...(mask ? maskStats(png) : {}) };
  };
  const walk = (value, key) => {
    if (Array.isArray(value)) return value.map((item) => walk(item, key));
    if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, k)]));
    if (typeof value === 'string' && ['image', 'images', 'maskImage', 'conditionImage', 'mask', 'init_image', 'style_image'].includes(key)) {
      return shape(value, key === 'maskImage' || key === 'mask');
    }
    return value;
  };
  return walk(body);
}

// ---- Answers ----

// A deterministic colour from the seed and the prompt, so that equal requests get equal images.
function colourFor(seed, prompt) {
  const digest = createHash('sha256').update(`${seed}:${prompt ?? ''}`).digest();
  return [digest[0], digest[1], digest[2]];
}

function solid(width, height, colour) {
  const data = Buffer.alloc(width * height * 3);
  for (let i = 0; i < width * height; i++) data.set(colour, i * 3);
  return encodePng(width, height, 3, data).toString('base64');
}

const CONTENT_FILTER_INPUT = 'This request has been blocked by our content filters. Please adjust your text prompt to submit a new request.';
const CONTENT_FILTER_OUTPUT = 'All of the generated images have been blocked by our content filters.';

function answerAmazon(body) {
  const params = body[AMAZON_TASKS[body.taskType]];
  const config = body.imageGenerationConfig ?? {};
  const prompt = params.text ?? '';
  if (/forbidden/i.test(prompt)) return { error: { status: 400, type: 'ValidationException', message: CONTENT_FILTER_INPUT } };
  if (/unlucky/i.test(prompt)) return { body: { images: [], error: CONTENT_FILTER_OUTPUT } };
  const colour = colourFor(config.seed ?? 42, prompt);
  const count = config.numberOfImages ?? 1;
  let images;
  if (body.taskType === 'TEXT_IMAGE' || body.taskType === 'IMAGE_VARIATION') {
    images = Array.from({ length: count }, () => solid(config.width ?? 1024, config.height ?? 1024, colour));
  } else {
    const source = decodePng(Buffer.from(params.image, 'base64'));
    const pixels = source.width * source.height;
    if (body.taskType === 'BACKGROUND_REMOVAL') {
      // The left half is "background": transparent; the right half keeps the source's pixels.
      const data = Buffer.alloc(pixels * 4);
      for (let i = 0; i < pixels; i++) {
        data.set(source.data.subarray(i * source.channels, i * source.channels + 3), i * 4);
        data[i * 4 + 3] = i % source.width < source.width / 2 ? 0 : 255;
      }
      images = [encodePng(source.width, source.height, 4, data).toString('base64')];
    } else {
      // Inpainting changes the black part of the mask, outpainting the white part.
      const mask = decodePng(Buffer.from(params.maskImage, 'base64'));
      const change = body.taskType === 'INPAINTING' ? 0 : 255;
      const data = Buffer.alloc(pixels * 3);
      for (let i = 0; i < pixels; i++) {
        const own = source.data.subarray(i * source.channels, i * source.channels + 3);
        data.set(mask.data[i * mask.channels] === change ? colour : own, i * 3);
      }
      images = Array.from({ length: count }, () => encodePng(source.width, source.height, 3, data).toString('base64'));
    }
  }
  return { body: { images, error: null } };
}

function answerStability(body) {
  const seed = body.seed ?? 0;
  if (/forbidden/i.test(body.prompt)) return { body: { seeds: [seed], finish_reasons: ['Filter reason: prompt'], images: [] } };
  if (/unlucky/i.test(body.prompt)) return { body: { seeds: [seed], finish_reasons: ['Filter reason: output image'], images: [] } };
  let [width, height] = STABILITY_RATIOS[body.aspect_ratio ?? '1:1'];
  if (body.mode === 'image-to-image') {
    const source = decodePng(Buffer.from(body.image, 'base64'));
    [width, height] = [source.width, source.height];
  }
  return { body: { seeds: [seed], finish_reasons: [null], images: [solid(width, height, colourFor(seed, body.prompt))] } };
}

// A service answers a picture of the size it makes, transparent on its left half for background
// removal.
function answerService(model, body) {
  const seed = body.seed ?? 0;
  if (/forbidden/i.test(body.prompt ?? '')) return { body: { seeds: [seed], finish_reasons: ['Filter reason: prompt'], images: [] } };
  const source = decodePng(Buffer.from(body.image ?? body.init_image, 'base64'));
  const [width, height] = model.answer(source, body);
  if (model.name !== 'Stable Image Remove Background') {
    return { body: { seeds: [seed], finish_reasons: [null], images: [solid(width, height, colourFor(seed, body.prompt))] } };
  }
  const data = Buffer.alloc(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    data.set(colourFor(seed, 'subject'), i * 4);
    data[i * 4 + 3] = i % width < width / 2 ? 0 : 255;
  }
  return { body: { seeds: [seed], finish_reasons: [null], images: [encodePng(width, height, 4, data).toString('base64')] } };
}

// { body } to answer 200 with, or { error: { status, type, message } }.
export function answerFor(modelId, body) {
  const model = MODELS[modelId];
  if (model.family === 'service') return answerService(model, body);
  return model.family === 'amazon' ? answerAmazon(body) : answerStability(body);
}
