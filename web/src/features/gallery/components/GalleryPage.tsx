import { useEffect, useRef, useState } from 'react';
import { Link } from 'react-router-dom';
import { errorMessage } from '@/shared/api/client';
import type { Image, ImageFilters } from '@/shared/api/types';
import { useAsync } from '@/shared/lib/useAsync';
import { announce } from '@/shared/ui/announcer';
import { Alert, Button, ConfirmButton, EmptyState, Input, PageHeader, Select, Spinner, cx } from '@/shared/ui/ui';
import { ModelKindBadge } from '@/shared/models/ModelKindBadge';
import { useModels } from '@/shared/models/useModels';
import { modelOptionLabel } from '@/shared/models/lib';
import { countImages } from '@/shared/images/api';
import { deleteImage, updateImage } from '../api/images';
import { useInfiniteImages } from '../hooks/useInfiniteImages';
import { rememberOrder } from '../lib/order';

// Shown without hover where there is no hover (phones, tablets): selection, favourite and Edit.
const onTouch = '[@media(hover:none)]:opacity-100';

function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

function countText(n: number, filtered: boolean): string {
  const images = `${n} image${n === 1 ? '' : 's'}`;
  return filtered ? `${images} match${n === 1 ? 'es' : ''} the filters.` : `${images} in all.`;
}

export function GalleryPage() {
  const models = useModels();
  const [q, setQ] = useState('');
  const [model, setModel] = useState('');
  const [favorite, setFavorite] = useState(false);
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const dq = useDebounced(q.trim(), 300);
  // `to` is exclusive on the API: include the whole chosen day.
  const toExclusive = to ? new Date(new Date(`${to}T00:00:00Z`).getTime() + 86400000).toISOString().slice(0, 10) : undefined;
  const filters: ImageFilters = { q: dq || undefined, model: model || undefined, favorite, from: from || undefined, to: toExclusive };
  const list = useInfiniteImages(filters);
  const filterKey = JSON.stringify(filters);
  // Counted once per filter; a delete or a favourite changes it again.
  const [countVersion, setCountVersion] = useState(0);
  const count = useAsync(() => countImages(JSON.parse(filterKey) as ImageFilters), [filterKey, countVersion]);
  const [favoriteError, setFavoriteError] = useState<string | null>(null);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [deleteError, setDeleteError] = useState<string | null>(null);
  const sentinel = useRef<HTMLDivElement>(null);
  const filtered = Boolean(dq || model || favorite || from || to);
  const demoIds = new Set((models.data ?? []).filter((m) => m.kind === 'demo').map((m) => m.id));

  useEffect(() => {
    const el = sentinel.current;
    if (!el || typeof IntersectionObserver === 'undefined') return;
    const io = new IntersectionObserver((entries) => { if (entries.some((e) => e.isIntersecting)) list.loadMore(); }, { rootMargin: '600px' });
    io.observe(el);
    return () => io.disconnect();
  }, [list]);

  // The image page's previous and next follow what this page shows.
  useEffect(() => {
    rememberOrder({ filters: JSON.parse(filterKey) as ImageFilters, ids: list.items.map((i) => i.id), cursor: list.cursor });
  }, [filterKey, list.items, list.cursor]);

  const select = (next: Set<string>) => {
    setSelected(next);
    announce(next.size === 0 ? 'Selection cleared' : `${next.size} image${next.size === 1 ? '' : 's'} selected`);
  };
  const toggle = (id: string) => {
    const n = new Set(selected);
    if (n.has(id)) n.delete(id); else n.add(id);
    select(n);
  };

  async function toggleFavorite(img: Image) {
    setFavoriteError(null);
    try {
      list.replace(await updateImage(img.id, { favorite: !img.favorite }));
      announce(img.favorite ? 'Removed from favorites' : 'Added to favorites');
      if (favorite) setCountVersion((v) => v + 1);
    } catch (e) { setFavoriteError(`The favorite could not be changed: ${errorMessage(e)}`); }
  }

  async function deleteSelected() {
    setDeleteError(null);
    const ids = [...selected];
    const results = await Promise.allSettled(ids.map((id) => deleteImage(id)));
    const done = ids.filter((_, i) => results[i].status === 'fulfilled');
    list.remove(done);
    setSelected(new Set());
    setCountVersion((v) => v + 1);
    announce(`${done.length} image${done.length === 1 ? '' : 's'} deleted`);
    const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined;
    if (failed) setDeleteError(`Some images could not be deleted: ${errorMessage(failed.reason)}`);
  }

  return (
    <div>
      <PageHeader title="Gallery"
        description={<>Everything you have generated, newest first.{count.data ? (
          <span data-testid="gallery-count"> {countText(count.data.count, filtered)}</span>
        ) : null}</>}
        actions={selected.size > 0 ? (
          <>
            <span className="text-sm text-slate-600 dark:text-slate-300">{selected.size} selected</span>
            <Button size="sm" variant="ghost" onClick={() => select(new Set())}>Clear</Button>
            <ConfirmButton size="sm" question={`Delete ${selected.size} image${selected.size > 1 ? 's' : ''}?`} onConfirm={deleteSelected}>Delete selected</ConfirmButton>
          </>
        ) : (
          <>
            <Link to="/edit" className="rounded-lg px-2.5 py-1.5 text-sm font-medium text-slate-700 ring-1 ring-inset ring-slate-300 hover:bg-slate-100 focus-visible:outline focus-visible:outline-2 focus-visible:outline-brand-500 dark:text-slate-200 dark:ring-slate-700 dark:hover:bg-slate-800">Upload a picture</Link>
            {list.items.length > 0 ? <Button size="sm" variant="ghost" onClick={() => select(new Set(list.items.map((i) => i.id)))}>Select all</Button> : null}
          </>
        )} />

      <div className="mb-6 grid grid-cols-2 gap-3 rounded-2xl bg-white p-4 shadow-sm ring-1 ring-slate-200 dark:bg-slate-900 dark:ring-slate-800 lg:grid-cols-[2fr_1fr_1fr_1fr_auto]" role="search">
        <div className="col-span-2 lg:col-span-1">
          <label htmlFor="g-q" className="mb-1 block text-xs font-medium text-slate-600 dark:text-slate-400">Search prompts</label>
          <Input id="g-q" type="search" placeholder="fox, sunset, mountains…" value={q} onChange={(e) => setQ(e.target.value)} />
        </div>
        <div className="col-span-2 lg:col-span-1">
          <label htmlFor="g-model" className="mb-1 block text-xs font-medium text-slate-600 dark:text-slate-400">Model</label>
          <Select id="g-model" value={model} onChange={(e) => setModel(e.target.value)}>
            <option value="">All models</option>
            {(models.data ?? []).map((m) => <option key={m.id} value={m.id}>{modelOptionLabel(m)}</option>)}
          </Select>
        </div>
        <div>
          <label htmlFor="g-from" className="mb-1 block text-xs font-medium text-slate-600 dark:text-slate-400">From</label>
          <Input id="g-from" type="date" value={from} onChange={(e) => setFrom(e.target.value)} />
        </div>
        <div>
          <label htmlFor="g-to" className="mb-1 block text-xs font-medium text-slate-600 dark:text-slate-400">To</label>
          <Input id="g-to" type="date" value={to} onChange={(e) => setTo(e.target.value)} />
        </div>
        <label className="col-span-2 flex items-center gap-2 self-end pb-2 text-sm lg:col-span-1">
          <input type="checkbox" checked={favorite} onChange={(e) => setFavorite(e.target.checked)} className="h-4 w-4 accent-brand-600" />
          Favorites only
        </label>
      </div>

      {deleteError ? <div className="mb-4"><Alert>{deleteError}</Alert></div> : null}
      {favoriteError ? <div className="mb-4"><Alert>{favoriteError}</Alert></div> : null}
      {list.error ? <div className="mb-4"><Alert>{errorMessage(list.error)}</Alert></div> : null}

      {list.initialLoading ? (
        <ul className="grid grid-cols-2 gap-3 sm:grid-cols-3 lg:grid-cols-4 xl:grid-cols-5" aria-busy="true" aria-label="Loading images">
          {Array.from({ length: 10 }).map((_, i) => <li key={i} className="aspect-square animate-pulse rounded-xl bg-slate-200 dark:bg-slate-800" />)}
        </ul>
      ) : list.items.length === 0 && !list.error ? (
        filtered ? (
          <EmptyState title="No images match">Try other search words or clear the filters.</EmptyState>
        ) : (
          <EmptyState title="No images yet" action={<Link to="/" className="rounded-lg bg-brand-600 px-4 py-2 text-sm font-medium text-white hover:bg-brand-500 focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-brand-500">Create your first image</Link>}>
            Images you generate are kept here with every parameter that made them.
          </EmptyState>
        )
      ) : (
        <ul className="grid grid-cols-2 gap-3 sm:grid-cols-3 lg:grid-cols-4 xl:grid-cols-5" aria-label="Images">
          {list.items.map((img) => {
            const isSel = selected.has(img.id);
            const demo = demoIds.has(img.model);
            return (
              // The tile clips its picture, not its controls: each focus ring stays whole.
              <li key={img.id} className="group relative" data-testid="gallery-item">
                <Link to={`/images/${img.id}`} className={cx('block overflow-hidden rounded-xl bg-slate-200 ring-2 focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-brand-500 dark:bg-slate-800', isSel ? 'ring-brand-500' : 'ring-transparent')}>
                  <img src={img.thumbnail_url} alt={img.prompt || img.title || 'Uploaded picture'} loading="lazy" className="aspect-square w-full object-cover transition-transform duration-300 group-hover:scale-105" />
                  {/* The picture's alt text already names the link: the caption is for the eye only. */}
                  <div aria-hidden="true" className={cx('pointer-events-none absolute inset-x-0 bottom-0 rounded-b-xl bg-gradient-to-t from-black/70 to-transparent p-2 pt-8 opacity-0 transition-opacity group-hover:opacity-100 group-focus-within:opacity-100', demo && 'pb-9')}>
                    <p className="line-clamp-2 text-xs text-white">{img.prompt}</p>
                  </div>
                </Link>
                {demo ? <ModelKindBadge kind="demo" short className="pointer-events-none absolute bottom-2 left-2" /> : null}
                <Link to={`/edit/${img.id}`} aria-label={`Edit image: ${img.prompt || img.title || 'uploaded picture'}`}
                  className={cx('absolute right-2 bottom-2 rounded-md bg-white/90 px-2 py-1 text-xs font-medium text-slate-900 shadow transition-opacity focus-visible:opacity-100 focus-visible:outline focus-visible:outline-2 focus-visible:outline-brand-500 dark:bg-slate-900/90 dark:text-white', 'opacity-0 group-hover:opacity-100', onTouch)}>
                  Edit
                </Link>
                <button type="button" onClick={() => void toggleFavorite(img)} aria-pressed={img.favorite}
                  aria-label={`${img.favorite ? 'Remove from favorites' : 'Add to favorites'}: ${img.prompt || img.title || 'uploaded picture'}`}
                  className={cx('absolute right-2 top-2 flex h-8 w-8 items-center justify-center rounded-md bg-white/90 text-lg leading-none shadow transition-opacity focus-visible:opacity-100 focus-visible:outline focus-visible:outline-2 focus-visible:outline-brand-500 dark:bg-slate-900/90',
                    img.favorite ? 'text-amber-700 opacity-100 dark:text-amber-300' : cx('text-slate-700 opacity-0 group-hover:opacity-100 dark:text-slate-200', onTouch))}>
                  <span aria-hidden="true">{img.favorite ? '★' : '☆'}</span>
                </button>
                <label className={cx('absolute left-2 top-2 flex h-8 w-8 cursor-pointer items-center justify-center rounded-md bg-white/90 shadow transition-opacity has-[:focus-visible]:outline has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-brand-500 dark:bg-slate-900/90', isSel || selected.size > 0 ? 'opacity-100' : cx('opacity-0 focus-within:opacity-100 group-hover:opacity-100', onTouch))}>
                  <input type="checkbox" className="h-4 w-4 accent-brand-600" checked={isSel} onChange={() => toggle(img.id)} aria-label={`Select image: ${img.prompt || img.title || 'uploaded picture'}`} />
                </label>
              </li>
            );
          })}
        </ul>
      )}
      <div ref={sentinel} className="mt-6 flex justify-center">
        {list.loading && list.items.length > 0 ? <Spinner label="Loading more" /> : list.hasMore && list.items.length > 0 ? (
          <Button variant="ghost" onClick={list.loadMore}>Load more</Button>
        ) : null}
      </div>
    </div>
  );
}
