import { describe, expect, it, vi } from 'vitest';
import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter } from 'react-router-dom';
import { ApiError } from '@/shared/api/client';
import { AuthForm, type AuthMode } from '@/features/auth/components/AuthForm';

function setup(mode: AuthMode, error: ApiError | null, needsInvite = false) {
  const onSubmit = vi.fn(async () => { if (error) throw error; });
  render(<MemoryRouter future={{ v7_startTransition: true, v7_relativeSplatPath: true }}><AuthForm mode={mode} needsInvite={needsInvite} onSubmit={onSubmit} /></MemoryRouter>);
  return { onSubmit, user: userEvent.setup() };
}

async function fill(user: ReturnType<typeof userEvent.setup>, email: string, password: string) {
  await user.type(screen.getByLabelText('E-mail'), email);
  await user.type(screen.getByLabelText('Password'), password);
}

describe('AuthForm', () => {
  it('says the password is wrong on 401', async () => {
    const { user, onSubmit } = setup('login', new ApiError(401, 'unauthenticated', 'invalid credentials'));
    await fill(user, 'me@example.com', 'nope-nope');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(onSubmit).toHaveBeenCalledWith({ email: 'me@example.com', password: 'nope-nope' });
    expect(screen.getByRole('alert').textContent).toMatch(/Wrong e-mail or password/);
  });

  it('puts a taken e-mail (409) next to the e-mail field', async () => {
    const { user } = setup('register', new ApiError(409, 'conflict', 'email taken', 'email'));
    await fill(user, 'me@example.com', 'long enough');
    await user.click(screen.getByRole('button', { name: 'Create account' }));
    const email = screen.getByLabelText('E-mail');
    expect(email.getAttribute('aria-invalid')).toBe('true');
    const err = document.getElementById(email.getAttribute('aria-describedby')!.split(' ')[0])!;
    expect(err.textContent).toMatch(/already exists/);
  });

  it('explains closed registration (403)', async () => {
    const { user } = setup('register', new ApiError(403, 'forbidden', 'registration is closed'));
    await fill(user, 'me@example.com', 'long enough');
    await user.click(screen.getByRole('button', { name: 'Create account' }));
    expect(screen.getByRole('alert').textContent).toMatch(/Registration is closed/);
  });

  it('checks the obvious locally before calling the API', async () => {
    const { user, onSubmit } = setup('register', null);
    await fill(user, 'not-an-email', 'short');
    await user.click(screen.getByRole('button', { name: 'Create account' }));
    expect(onSubmit).not.toHaveBeenCalled();
    expect(screen.getByText('Enter a valid e-mail address.')).toBeTruthy();
    expect(screen.getByText('Use at least 8 characters.')).toBeTruthy();
  });

  it('asks for an invitation code when registration is by invitation, and says when it is not valid', async () => {
    const { user, onSubmit } = setup('register', new ApiError(403, 'forbidden', 'not valid', 'invite'), true);
    await fill(user, 'me@example.com', 'long enough');
    await user.click(screen.getByRole('button', { name: 'Create account' }));
    expect(onSubmit).not.toHaveBeenCalled();
    expect(screen.getByText('Enter the invitation code an administrator gave you.')).toBeTruthy();
    await user.type(screen.getByLabelText('Invitation code'), ' code-123 ');
    await user.click(screen.getByRole('button', { name: 'Create account' }));
    expect(onSubmit).toHaveBeenCalledWith({ email: 'me@example.com', password: 'long enough', invite: 'code-123' });
    expect(screen.getByLabelText('Invitation code').getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByText(/used or expired/)).toBeTruthy();
  });

  it('asks for no code when registration is open', () => {
    setup('register', null);
    expect(screen.queryByLabelText('Invitation code')).toBeNull();
  });

  it('shows the throttle\'s message, which says when to try again (429)', async () => {
    const { user } = setup('login', new ApiError(429, 'rate_limited', 'too many failed sign-ins: try again in 4 seconds'));
    await fill(user, 'me@example.com', 'nope-nope');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(screen.getByRole('alert').textContent).toMatch(/try again in 4 seconds/);
  });
});
