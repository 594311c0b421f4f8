import { useEffect, useId, useRef, useState, type DragEvent } from 'react';
import { useNavigate } from 'react-router-dom';
import { errorMessage } from '@/shared/api/client';
import { uploadImage } from '../api/uploads';
import { Alert, Button, PageHeader, Spinner, cx } from '@/shared/ui/ui';

const ACCEPT = ['image/png', 'image/jpeg', 'image/webp'];

/** A picture from the disk, a drop or the clipboard becomes the user's image, then opens to edit. */
export function UploadPage() {
  const navigate = useNavigate();
  const input = useRef<HTMLInputElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [over, setOver] = useState(false);
  const hintId = useId();

  const upload = async (file: File | undefined) => {
    if (!file || busy) return;
    if (file.type && !ACCEPT.includes(file.type)) { setError(`“${file.name}” is not a PNG, JPEG or WebP picture.`); return; }
    setBusy(true);
    setError(null);
    try {
      // The file's name, less its extension, titles the picture (and names it where results link to it).
      const img = await uploadImage(file, file.name.replace(/\.[^.]+$/, ''));
      navigate(`/edit/${img.id}`, { replace: true });
    } catch (e) {
      setError(errorMessage(e));
      setBusy(false);
    }
  };
  const uploadRef = useRef(upload);
  uploadRef.current = upload;

  // Paste works anywhere on the page, as in other editors.
  useEffect(() => {
    const onPaste = (e: ClipboardEvent) => {
      const file = [...(e.clipboardData?.files ?? [])].find((f) => ACCEPT.includes(f.type));
      if (file) { e.preventDefault(); void uploadRef.current(file); }
    };
    window.addEventListener('paste', onPaste);
    return () => window.removeEventListener('paste', onPaste);
  }, []);

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    void upload(e.dataTransfer.files[0]);
  };

  return (
    <div>
      <PageHeader title="Edit a picture" description="Upload a PNG, JPEG or WebP picture to restyle, repaint, extend, upscale or cut out." />
      {error ? <div className="mb-4"><Alert>{error}</Alert></div> : null}
      <div
        onDragOver={(e) => { e.preventDefault(); setOver(true); }}
        onDragLeave={() => setOver(false)}
        onDrop={onDrop}
        data-testid="drop-zone"
        className={cx('flex min-h-[18rem] flex-col items-center justify-center gap-4 rounded-2xl border-2 border-dashed p-8 text-center',
          over ? 'border-brand-500 bg-brand-50 dark:bg-brand-900/20' : 'border-slate-300 dark:border-slate-700')}>
        {busy ? <Spinner label="Uploading" /> : (
          <>
            <p id={hintId} className="max-w-sm text-sm text-slate-600 dark:text-slate-300">Drop a picture here, paste one from the clipboard (Ctrl+V), or choose a file.</p>
            <Button variant="primary" aria-describedby={hintId} onClick={() => input.current?.click()}>Choose a picture</Button>
            <input ref={input} type="file" accept={ACCEPT.join(',')} className="sr-only" aria-label="Picture to upload" tabIndex={-1}
              onChange={(e) => { void upload(e.target.files?.[0]); e.target.value = ''; }} />
          </>
        )}
      </div>
    </div>
  );
}
