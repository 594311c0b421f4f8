// Errors where the user acts: after a submit that failed, the first invalid control of the form
// gets focus (and is scrolled to the middle of the window, clear of the sticky header); an error
// of the whole form, shown beside its submit button and marked data-form-error, is scrolled there
// when no control is invalid.
import { useEffect, type RefObject } from 'react';

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
