import { api, postForm } from '@/shared/api/client';

/** One of the user's images (the gallery's image page, the edit view's source). */
export const getImage = (id: string) => api.get('/images/{id}', { path: { id } });

/** Files a picture (an upload, or a mask painted in the edit view) as the user's image. */
export function uploadImage(file: Blob, title?: string) {
  const form = new FormData();
  form.append('file', file, file instanceof File ? file.name : 'picture.png');
  if (title) form.append('title', title);
  return postForm('/images', form);
}
