import { useState, type ReactNode } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { ApiError, errorMessage } from '@/shared/api/client';
import type { Image } from '@/shared/api/types';
import { copyText, formatBytes, formatDate, ratioLabel } from '@/shared/lib/format';
import { createWith, type Prefill } from '@/shared/lib/prefill';
import { useAsync } from '@/shared/lib/useAsync';
import { announce } from '@/shared/ui/announcer';
import { Alert, Button, Card, ConfirmButton, EmptyState, Spinner, cx } from '@/shared/ui/ui';
import { ModelKindBadge } from '@/shared/models/ModelKindBadge';
import { useModels } from '@/shared/models/useModels';
import { styleLabel } from '@/shared/models/lib';
import { getImage } from '@/shared/images/api';
import { deleteImage, getInfotext, updateImage } from '../api/images';
import { useGalleryNeighbours } from '../hooks/useGalleryNeighbours';
import { ImageLabels } from './ImageLabels';

function prefillFrom(img: Image, sameSeed: boolean): Prefill {
  return {
    prompt: img.prompt, negative_prompt: img.negative_prompt, model: img.model, style: img.style,
    width: img.width, height: img.height, steps: img.steps, cfg_scale: img.cfg_scale, count: 1,
    seed: img.seed, seedMode: sameSeed ? 'fixed' : 'random',
  };
}

const TASK_LABEL: Record<Image['task'], string> = {
  text_to_image: 'Text to image', image_to_image: 'Image to image', inpaint: 'Inpaint', outpaint: 'Outpaint',
  remove_background: 'Remove background', upscale: 'Upscale 2×', upload: 'Upload', erase: 'Erase',
  search_replace: 'Search and replace', search_recolor: 'Search and recolor', sketch: 'From a sketch',
  structure: 'Keep the structure', style_guide: 'In this style', style_transfer: 'Style transfer',
};

const describeImage = (img: Image) => img.title || img.prompt || (img.origin === 'uploaded' ? 'an uploaded picture' : 'an image');

const stepLink = 'rounded-lg px-2.5 py-1.5 text-sm font-medium text-slate-700 ring-1 ring-inset ring-slate-300 hover:bg-slate-100 focus-visible:outline focus-visible:outline-2 focus-visible:outline-brand-500 dark:text-slate-200 dark:ring-slate-700 dark:hover:bg-slate-800';

function Row({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="flex justify-between gap-4 py-2.5 text-sm">
      <dt className="text-slate-600 dark:text-slate-400">{label}</dt>
      <dd className="text-right font-medium text-slate-900 [overflow-wrap:anywhere] dark:text-slate-100">{children}</dd>
    </div>
  );
}

export function ImagePage() {
  const { id = '' } = useParams();
  const navigate = useNavigate();
  const img = useAsync(() => getImage(id), [id]);
  const models = useModels();
  const sourceId = img.data?.source_image_id ?? null;
  // The source's title or prompt names the "Derived from" link; a deleted source leaves the id.
  const source = useAsync(() => (sourceId ? getImage(sourceId) : Promise.resolve(null)), [sourceId]);
  const [copied, setCopied] = useState<'prompt' | 'parameters' | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const order = useGalleryNeighbours(id);

  if (img.loading && !img.data) return <Spinner label="Loading image" />;
  if (img.error) {
    if (img.error instanceof ApiError && img.error.status === 404) {
      return <EmptyState title="Image not found" action={<Link to="/gallery" className="rounded text-sm font-medium text-brand-700 underline-offset-2 hover:underline dark:text-brand-300">Back to the gallery</Link>}>It may have been deleted.</EmptyState>;
    }
    return <Alert>{errorMessage(img.error)}</Alert>;
  }
  const image = img.data!;
  const model = models.data?.find((m) => m.id === image.model);

  async function copy(what: 'prompt' | 'parameters') {
    setActionError(null);
    try {
      const text = what === 'prompt' ? image.prompt : (await getInfotext(image.id)).infotext;
      if (!(await copyText(text))) throw new Error('The browser did not allow copying to the clipboard.');
      setCopied(what);
      announce(what === 'prompt' ? 'Prompt copied to the clipboard' : 'Parameters copied to the clipboard');
      setTimeout(() => setCopied(null), 2000);
    } catch (e) { setActionError(errorMessage(e)); }
  }

  async function toggleFavorite() {
    setActionError(null);
    try {
      const updated = await updateImage(image.id, { favorite: !image.favorite });
      img.setData(() => updated);
    } catch (e) { setActionError(errorMessage(e)); }
  }

  return (
    <div>
      <div className="mb-4 flex flex-wrap items-center justify-between gap-3">
        <Link to="/gallery" className="inline-flex items-center gap-1 rounded text-sm font-medium text-slate-600 hover:text-slate-900 focus-visible:outline focus-visible:outline-2 focus-visible:outline-brand-500 dark:text-slate-300 dark:hover:text-white">← Gallery</Link>
        {order.inOrder ? (
          <nav aria-label="Gallery order" className="flex items-center gap-2">
            {order.previous ? <Link to={`/images/${order.previous}`} rel="prev" className={stepLink}>← Previous</Link> : null}
            {order.next ? <Link to={`/images/${order.next}`} rel="next" className={stepLink}>Next →</Link> : order.canLoadNext ? (
              <Button size="sm" onClick={async () => {
                try { const next = await order.loadNext(); if (next) navigate(`/images/${next}`); } catch (e) { setActionError(errorMessage(e)); }
              }}>Next →</Button>
            ) : null}
          </nav>
        ) : null}
      </div>
      <div className="grid gap-6 lg:grid-cols-[minmax(0,3fr)_minmax(0,2fr)]">
        <div className="flex items-center justify-center self-start overflow-hidden rounded-2xl bg-slate-100 p-2 ring-1 ring-slate-200 dark:bg-slate-900 dark:ring-slate-800">
          <img src={image.file_url} alt={image.prompt || describeImage(image)} width={image.width} height={image.height} className="h-auto max-h-[80vh] w-full rounded-xl object-contain" />
        </div>
        <div className="space-y-4">
          <Card>
            <div className="flex items-start justify-between gap-3">
              <h1 className="text-lg font-semibold">{image.title || 'Image details'}</h1>
              <button type="button" onClick={toggleFavorite} aria-pressed={image.favorite} aria-label={image.favorite ? 'Remove from favorites' : 'Add to favorites'}
                className={cx('rounded-lg p-1.5 text-2xl leading-none transition-colors focus-visible:outline focus-visible:outline-2 focus-visible:outline-brand-500', image.favorite ? 'text-amber-600 dark:text-amber-300' : 'text-slate-500 hover:text-amber-600 dark:text-slate-400 dark:hover:text-amber-300')}>
                <span aria-hidden="true">{image.favorite ? '★' : '☆'}</span>
              </button>
            </div>
            <h2 className="mt-4 text-xs font-semibold uppercase tracking-wide text-slate-600 dark:text-slate-400">Prompt</h2>
            <p className="mt-1 whitespace-pre-wrap text-sm" data-testid="image-prompt">{image.prompt}</p>
            {image.negative_prompt ? (
              <>
                <h2 className="mt-4 text-xs font-semibold uppercase tracking-wide text-slate-600 dark:text-slate-400">Negative prompt</h2>
                <p className="mt-1 whitespace-pre-wrap text-sm">{image.negative_prompt}</p>
              </>
            ) : null}
            <div className="mt-5 flex flex-wrap gap-2">
              <Button size="sm" onClick={() => void copy('prompt')}>{copied === 'prompt' ? '✓ Copied' : 'Copy prompt'}</Button>
              {image.origin === 'generated' ? (
                <Button size="sm" onClick={() => void copy('parameters')} title="Every parameter, as AUTOMATIC1111 writes them">
                  {copied === 'parameters' ? '✓ Copied' : 'Copy parameters'}
                </Button>
              ) : null}
              <a href={image.file_url} download={`rendermart-${image.id}.png`}
                className="inline-flex items-center gap-2 rounded-lg bg-brand-600 px-2.5 py-1.5 text-sm font-medium text-white shadow-sm hover:bg-brand-500 focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-brand-500">
                Download PNG
              </a>
              <Link to={`/edit/${image.id}`}
                className="inline-flex items-center gap-2 rounded-lg bg-white px-2.5 py-1.5 text-sm font-medium text-slate-800 shadow-sm ring-1 ring-inset ring-slate-300 hover:bg-slate-50 focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-brand-500 dark:bg-slate-800 dark:text-slate-100 dark:ring-slate-700 dark:hover:bg-slate-700">
                Edit
              </Link>
              <Button size="sm" onClick={() => navigate('/', createWith(prefillFrom(image, false)))}>Remix</Button>
              <Button size="sm" onClick={() => navigate('/', createWith(prefillFrom(image, true)))}>Same seed</Button>
            </div>
          </Card>
          <Card>
            <ImageLabels key={image.id} image={image} onSaved={(saved) => img.setData(() => saved)} />
          </Card>
          <Card>
            <h2 className="text-xs font-semibold uppercase tracking-wide text-slate-600 dark:text-slate-400">Parameters</h2>
            <dl className="mt-2 divide-y divide-slate-100 dark:divide-slate-800" data-testid="image-params">
              {image.origin === 'uploaded' ? <Row label="Origin">Uploaded</Row> : null}
              {image.source_image_id ? (
                <Row label="Derived from">
                  <Link to={`/images/${image.source_image_id}`} data-testid="derived-from"
                    className="rounded text-brand-700 underline hover:text-brand-600 focus-visible:outline focus-visible:outline-2 focus-visible:outline-brand-500 dark:text-brand-300">
                    {source.data ? describeImage(source.data) : 'its source image'}
                  </Link>
                </Row>
              ) : null}
              {image.task !== 'text_to_image' && image.task !== 'upload' ? <Row label="Task">{TASK_LABEL[image.task]}</Row> : null}
              {image.task === 'image_to_image' ? <Row label="Strength">{image.strength}</Row> : null}
              {image.mask_image_id ? <Row label="Mask"><Link to={`/images/${image.mask_image_id}`} className="rounded text-brand-700 underline hover:text-brand-600 focus-visible:outline focus-visible:outline-2 focus-visible:outline-brand-500 dark:text-brand-300">the mask image</Link></Row> : null}
              <Row label="Model">
                <span className="inline-flex flex-wrap items-center justify-end gap-2" title={image.model}>
                  {model?.name ?? image.model}{model ? <ModelKindBadge kind={model.kind} /> : null}
                </span>
              </Row>
              <Row label="Style">{styleLabel(image.style)}</Row>
              <Row label="Size">{image.width}×{image.height} ({ratioLabel(image.width, image.height)})</Row>
              <Row label="Seed"><span className="font-mono">{image.seed}</span></Row>
              <Row label="Steps">{image.steps}</Row>
              <Row label="CFG scale">{image.cfg_scale}</Row>
              <Row label="Image">{image.index + 1} of its generation</Row>
              <Row label="File size">{formatBytes(image.bytes)}</Row>
              <Row label="Created">{formatDate(image.created_at)}</Row>
              {image.tags.length ? <Row label="Tags">{image.tags.join(', ')}</Row> : null}
            </dl>
          </Card>
          {actionError ? <Alert>{actionError}</Alert> : null}
          <div className="flex justify-end">
            <ConfirmButton question="Delete this image?" onConfirm={async () => {
              try { await deleteImage(image.id); navigate('/gallery', { replace: true }); } catch (e) { setActionError(errorMessage(e)); }
            }}>Delete image</ConfirmButton>
          </div>
        </div>
      </div>
    </div>
  );
}
