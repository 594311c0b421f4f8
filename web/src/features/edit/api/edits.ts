// Starting an edit: the pictures the task needs are uploaded first (the API takes masks and
// outpaint canvases as the user's images), then the generation is queued on them.
import type { Generation, Image, Model } from '@/shared/api/types';
import { uploadImage } from '@/shared/images/api';
import { createGeneration } from '@/shared/jobs/api';
import type { MaskModel } from '../lib/mask';
import { encodePng, extendPicture } from '../lib/pictures';
import { outpaintMargins, toEditRequest, type EditValues } from '../lib/tasks';

const named = (what: string, source: Image) => `${what} of ${source.title || source.prompt || 'an image'}`.slice(0, 200);

export async function submitEdit(v: EditValues, model: Model, source: Image, mask: MaskModel): Promise<Generation> {
  if (v.choice === 'inpaint') {
    const png = await encodePng(mask.exportRGBA(), mask.width, mask.height);
    const stored = await uploadImage(png, named('Mask', source));
    return createGeneration(toEditRequest(v, model, source.id, stored.id));
  }
  if (v.choice === 'outpaint') {
    const { picture, mask: outpaintMask } = await extendPicture(source.file_url, source.width, source.height, outpaintMargins(v));
    const canvas = await uploadImage(picture, named('Extended canvas', source));
    const stored = await uploadImage(outpaintMask, named('Outpaint mask', source));
    return createGeneration(toEditRequest(v, model, canvas.id, stored.id));
  }
  return createGeneration(toEditRequest(v, model, source.id));
}
