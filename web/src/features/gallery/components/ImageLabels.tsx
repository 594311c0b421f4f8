import { useState, type FormEvent } from 'react';
import type { Image } from '@/shared/api/types';
import { announce } from '@/shared/ui/announcer';
import { useFormErrors } from '@/shared/ui/revealErrors';
import { Alert, Button, Field, Input } from '@/shared/ui/ui';
import { updateImage } from '../api/images';

/** "sunset, fox , , fox" -> ["sunset", "fox"]: what the user means by a comma-separated list. */
export function parseTags(text: string): string[] {
  return [...new Set(text.split(',').map((t) => t.trim()).filter(Boolean))];
}

/** The image's title and tags, edited in place (PATCH /images/{id}). Keyed by image id by its caller. */
export function ImageLabels({ image, onSaved }: { image: Image; onSaved: (img: Image) => void }) {
  const [title, setTitle] = useState(image.title);
  const [tags, setTags] = useState(image.tags.join(', '));
  const { formRef, errors, formError, clear, clearField, fail } = useFormErrors(['title', 'tags'] as const);
  const [busy, setBusy] = useState(false);
  const changed = title.trim() !== image.title || parseTags(tags).join('\n') !== image.tags.join('\n');

  async function onSubmit(ev: FormEvent) {
    ev.preventDefault();
    clear();
    setBusy(true);
    try {
      const saved = await updateImage(image.id, { title: title.trim(), tags: parseTags(tags) });
      onSaved(saved);
      setTitle(saved.title);
      setTags(saved.tags.join(', '));
      announce('Title and tags saved');
    } catch (e) {
      fail(e);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form ref={formRef} onSubmit={onSubmit} noValidate className="space-y-4" aria-label="Title and tags">
      <Field label="Title" error={errors.title}>
        {({ id, describedBy, invalid }) => (
          <Input id={id} name="title" value={title} maxLength={200} placeholder="Untitled" aria-describedby={describedBy} invalid={invalid}
            onChange={(e) => { setTitle(e.target.value); clearField('title'); }} />
        )}
      </Field>
      <Field label="Tags" error={errors.tags} hint="Separate tags with commas; search finds them.">
        {({ id, describedBy, invalid }) => (
          <Input id={id} name="tags" value={tags} placeholder="landscape, winter" aria-describedby={describedBy} invalid={invalid}
            onChange={(e) => { setTags(e.target.value); clearField('tags'); }} />
        )}
      </Field>
      {formError ? <div data-form-error><Alert>{formError}</Alert></div> : null}
      <Button type="submit" size="sm" variant="primary" disabled={busy || !changed}>{busy ? 'Saving…' : 'Save title and tags'}</Button>
    </form>
  );
}
