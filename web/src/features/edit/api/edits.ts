// Starting an edit: one generation request on the source; an inpainting or erasing mask goes with it as a PNG
// (the server files it as the user's upload, and removes it again if the request is refused).
import type { Generation, Image, Model } from '@/shared/api/types';
import { createGeneration } from '@/shared/jobs/api';
import type { MaskModel } from '../lib/mask';
import { pngDataUrl } from '../lib/pictures';
import { toEditRequest, usesMask, type EditValues } from '../lib/tasks';

export async function submitEdit(v: EditValues, model: Model, source: Image, mask: MaskModel): Promise<Generation> {
  const png = usesMask(v.choice) ? pngDataUrl(mask.exportRGBA(), mask.width, mask.height) : undefined;
  return createGeneration(toEditRequest(v, model, source.id, png));
}
