import { postForm } from '@/shared/api/client';

/** Files a picture the user chose, dropped or pasted as their image (multipart/form-data). */
export function uploadImage(file: File, title: string) {
  const form = new FormData();
  form.append('file', file, file.name);
  if (title) form.append('title', title);
  return postForm('/images', form);
}
