import { useCallback, useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { ApiError, errorMessage } from '@/shared/api/client';
import type { Generation } from '@/shared/api/types';
import { getImage } from '@/shared/images/api';
import { JobView } from '@/shared/jobs/JobView';
import { useAsync } from '@/shared/lib/useAsync';
import { useModels } from '@/shared/models/useModels';
import { Alert, Card, EmptyState, PageHeader, Spinner } from '@/shared/ui/ui';
import { submitEdit } from '../api/edits';
import { BeforeAfter } from './BeforeAfter';
import { EditForm } from './EditForm';

const fileOf = (id: string) => `/api/v1/images/${encodeURIComponent(id)}/file`;

/** One edit job: its live progress, then each result against the picture it was made from. */
function EditResult({ generation }: { generation: Generation }) {
  const [finished, setFinished] = useState<Generation | null>(null);
  const onFinished = useCallback((g: Generation) => setFinished(g), []);
  const sourceId = finished?.status === 'succeeded' ? finished.params.source_image_id : null;
  return (
    <Card>
      <JobView generation={generation} onFinished={onFinished} showImages={false} />
      {finished && sourceId ? (
        <div className="mt-4 space-y-4">
          {finished.images.map((img) => (
            <div key={img.id} className="space-y-2">
              <BeforeAfter width={img.width} height={img.height}
                before={{ src: fileOf(sourceId), alt: 'The source picture' }} after={{ src: img.file_url, alt: `The result, image ${img.index + 1}` }} />
              <Link to={`/images/${img.id}`} className="inline-block rounded text-sm font-medium text-brand-700 underline hover:text-brand-600 focus-visible:outline focus-visible:outline-2 focus-visible:outline-brand-500 dark:text-brand-300">
                Open result {img.index + 1}
              </Link>
            </div>
          ))}
        </div>
      ) : null}
    </Card>
  );
}

export function EditPage() {
  const { id = '' } = useParams();
  const source = useAsync(() => getImage(id), [id]);
  const models = useModels();
  const [jobs, setJobs] = useState<Generation[]>([]);

  if ((source.loading && !source.data) || (models.loading && !models.data)) return <Spinner label="Loading the picture" />;
  if (source.error instanceof ApiError && source.error.status === 404) {
    return <EmptyState title="Image not found" action={<Link to="/edit" className="text-sm font-medium text-brand-700">Upload a picture instead</Link>}>It may have been deleted.</EmptyState>;
  }
  const error = source.error ?? models.error;
  if (error || !source.data || !models.data) return <Alert>{errorMessage(error)}</Alert>;
  const image = source.data;

  return (
    <div>
      <div className="mb-4">
        <Link to={`/images/${image.id}`} className="inline-flex items-center gap-1 rounded text-sm font-medium text-slate-600 hover:text-slate-900 focus-visible:outline focus-visible:outline-2 focus-visible:outline-brand-500 dark:text-slate-300 dark:hover:text-white">← The image</Link>
      </div>
      <PageHeader title="Edit" description={`${image.title || image.prompt || 'Uploaded picture'} · ${image.width}×${image.height}`} />
      <Card>
        <EditForm key={image.id} source={image} models={models.data} submit={submitEdit} onCreated={(g) => setJobs((j) => [g, ...j].slice(0, 10))} />
      </Card>
      {jobs.length > 0 ? (
        <section aria-label="Results" className="mt-6 grid gap-4 lg:grid-cols-2">
          {jobs.map((g) => <EditResult key={g.id} generation={g} />)}
        </section>
      ) : null}
    </div>
  );
}
