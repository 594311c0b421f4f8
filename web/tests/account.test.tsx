import { describe, expect, it } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { Invitation, Usage } from '@/shared/api/types';
import { Reply, apiError, fakeApi, openApp } from './fakeApi';
import { admin, alice, freeModel, noPrefs } from './fixtures';

const usage: Usage = {
  jobs_in_flight: { used: 0, limit: 20, resets_at: null },
  images_per_day: { used: 0, limit: 500, resets_at: '2026-11-26T00:00:00.000Z' },
  stored_bytes: { used: 0, limit: 5 * 1024 ** 3, resets_at: null },
  requests: { per_minute: 600, burst: 120 },
};

function settings(extra: Record<string, unknown> = {}) {
  return fakeApi({
    'GET /auth/me': { user: alice },
    'GET /auth/config': { registration: 'open' },
    'GET /me/preferences': noPrefs,
    'GET /me/usage': usage,
    'GET /models': { items: [freeModel] },
    'GET /keys': { items: [] },
    ...extra,
  });
}

describe('Settings: the account', () => {
  it('changes the password with the current one, and says which field is wrong', async () => {
    const api = settings({
      'POST /auth/password': (body: unknown) => ((body as { current_password: string }).current_password === 'old secret'
        ? new Reply(204) : apiError(400, 'invalid_argument', 'the password is wrong', 'current_password')),
    });
    openApp('/settings');
    const form = await screen.findByRole('form', { name: 'Change password' });
    const user = userEvent.setup();
    await user.type(within(form).getByLabelText('Current password'), 'not it');
    await user.type(within(form).getByLabelText('New password'), 'a new secret');
    await user.click(within(form).getByRole('button', { name: 'Change password' }));
    expect(await within(form).findByText('That is not your current password.')).toBeTruthy();

    await user.clear(within(form).getByLabelText('Current password'));
    await user.type(within(form).getByLabelText('Current password'), 'old secret');
    await user.click(within(form).getByRole('button', { name: 'Change password' }));
    expect(await within(form).findByText(/signed out on every other device/)).toBeTruthy();
    expect(api.calls.filter((c) => c.path === '/auth/password').map((c) => c.body)).toEqual([
      { current_password: 'not it', new_password: 'a new secret' },
      { current_password: 'old secret', new_password: 'a new secret' },
    ]);
  });

  it('signs out everywhere and lands on the sign-in page', async () => {
    const api = settings({ 'POST /auth/logout-everywhere': new Reply(204) });
    openApp('/settings');
    await userEvent.setup().click(await screen.findByRole('button', { name: 'End all sessions' }));
    await waitFor(() => expect(window.location.pathname).toBe('/login'));
    expect(api.count('POST', '/auth/logout-everywhere')).toBe(1);
  });

  it('deletes the account only after the password is typed', async () => {
    const api = settings({
      'POST /auth/delete-account': (body: unknown) => ((body as { password: string }).password === 'my secret'
        ? new Reply(204) : apiError(400, 'invalid_argument', 'the password is wrong', 'password')),
    });
    openApp('/settings');
    const user = userEvent.setup();
    await user.click(await screen.findByRole('button', { name: 'Delete account…' }));
    const form = screen.getByRole('form', { name: 'Delete account' });
    await user.click(within(form).getByRole('button', { name: 'Delete my account' }));
    expect(within(form).getByText('Type your password to confirm.')).toBeTruthy();
    expect(api.count('POST', '/auth/delete-account')).toBe(0);
    await user.type(within(form).getByLabelText('Your password'), 'wrong');
    await user.click(within(form).getByRole('button', { name: 'Delete my account' }));
    expect(await within(form).findByText('That is not your password.')).toBeTruthy();
    await user.clear(within(form).getByLabelText('Your password'));
    await user.type(within(form).getByLabelText('Your password'), 'my secret');
    await user.click(within(form).getByRole('button', { name: 'Delete my account' }));
    await waitFor(() => expect(window.location.pathname).toBe('/login'));
  });
});

describe('Settings: invitations', () => {
  const unused: Invitation = { id: 'i1', created_at: '2026-11-25T19:00:00.000Z', expires_at: '2099-12-02T19:00:00.000Z', used_at: null };
  const used: Invitation = { id: 'i2', created_at: '2026-11-24T19:00:00.000Z', expires_at: '2099-12-01T19:00:00.000Z', used_at: '2026-11-25T10:00:00.000Z' };

  it('are for administrators while registration is by invitation', async () => {
    settings({ 'GET /auth/config': { registration: 'invite' } });
    openApp('/settings');
    await screen.findByRole('form', { name: 'Change password' });
    expect(screen.queryByRole('heading', { name: 'Invitations' })).toBeNull();
  });

  it('are created (the code shown once), listed and revoked', async () => {
    const items = [unused, used];
    const api = settings({
      'GET /auth/me': { user: admin },
      'GET /auth/config': { registration: 'invite' },
      'GET /admin/invitations': () => ({ items }),
      'POST /admin/invitations': () => {
        const made = { id: 'i3', created_at: '2026-11-26T09:00:00.000Z', expires_at: '2099-12-03T09:00:00.000Z', used_at: null };
        items.unshift(made);
        return new Reply(201, { ...made, code: 'the-secret-code-0123456789' });
      },
      'DELETE /admin/invitations/i1': new Reply(204),
    });
    openApp('/settings');
    const list = await screen.findByRole('list', { name: 'Invitations' });
    expect(within(list).getAllByRole('listitem')).toHaveLength(2);
    expect(within(list).getByText(/· used /)).toBeTruthy();
    const user = userEvent.setup();
    await user.click(screen.getByRole('button', { name: 'Create invitation' }));
    expect(((await screen.findByTestId('invitation-code')) as HTMLInputElement).value).toBe('the-secret-code-0123456789');
    await waitFor(() => expect(within(screen.getByRole('list', { name: 'Invitations' })).getAllByRole('listitem')).toHaveLength(3));

    const revocable = within(screen.getByRole('list', { name: 'Invitations' })).getAllByRole('button', { name: 'Revoke' });
    expect(revocable).toHaveLength(2); // the used one cannot be revoked
    await user.click(revocable[1]);
    await user.click(within(screen.getByRole('group', { name: 'Revoke this invitation?' })).getByRole('button', { name: 'Revoke' }));
    await waitFor(() => expect(api.count('DELETE', '/admin/invitations/i1')).toBe(1));
  });
});
