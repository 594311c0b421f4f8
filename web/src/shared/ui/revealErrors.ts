// Errors where the user acts: after a submit that failed, the first invalid control of the form
// gets focus (and is scrolled to the middle of the window, clear of the sticky header); an error
// of the whole form, shown beside its submit button and marked data-form-error, is scrolled there
// when no control is invalid.
import { useCallback, useEffect, useRef, useState, type RefObject } from 'react';
import { ApiError, errorMessage } from '@/shared/api/client';

export function useRevealErrors(form: RefObject<HTMLElement>, failures: number): void {
  useEffect(() => {
    const root = form.current;
    if (failures === 0 || !root) return;
    const invalid = root.querySelector<HTMLElement>('[aria-invalid="true"]');
    const target = invalid ?? root.querySelector<HTMLElement>('[data-form-error]');
    if (!target) return;
    // "center" keeps the target below any sticky header, whatever the header's height.
    target.scrollIntoView?.({ block: 'center' });
    if (invalid) invalid.focus({ preventScroll: true });
  }, [form, failures]);
}

/**
 * A form's errors: by field (`fields`, the names the API may give in `error.field`) and for the
 * whole form, revealed as useRevealErrors says after each refusal. Put `formRef` on the <form>.
 */
export function useFormErrors<F extends string>(fields: readonly F[]) {
  const formRef = useRef<HTMLFormElement>(null);
  const [errors, setErrors] = useState<Partial<Record<F, string>>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [failures, setFailures] = useState(0);
  useRevealErrors(formRef, failures);
  const known = fields.join('\n');

  const clear = useCallback(() => { setErrors({}); setFormError(null); }, []);
  const clearField = useCallback((field: F) => setErrors((e) => ({ ...e, [field]: undefined })), []);
  /** Problems found before sending, shown by their fields. */
  const refuse = useCallback((found: Partial<Record<F, string>>) => { setErrors(found); setFailures((n) => n + 1); }, []);
  /** A failed call: by the field the API names when the form has it, else for the whole form. */
  const fail = useCallback((e: unknown) => {
    if (e instanceof ApiError && e.field && known.split('\n').includes(e.field)) setErrors({ [e.field]: e.message } as Partial<Record<F, string>>);
    else setFormError(errorMessage(e));
    setFailures((n) => n + 1);
  }, [known]);

  return { formRef, errors, formError, clear, clearField, refuse, fail };
}
