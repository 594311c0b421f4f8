import { describe, expect, it } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { AdminUser, Usage } from '@/shared/api/types';
import { apiError, fakeApi, openApp } from './fakeApi';
import { admin, alice, freeModel, noPrefs } from './fixtures';

const usage = (over: Partial<Usage> = {}): Usage => ({
  jobs_in_flight: { used: 3, limit: 20, resets_at: null },
  images_per_day: { used: 120, limit: 500, resets_at: '2026-11-26T00:00:00.000Z' },
  stored_bytes: { used: 2_000_000_000, limit: 5 * 1024 ** 3, resets_at: null },
  requests: { per_minute: 600, burst: 120 },
  ...over,
});

const noLimits = { jobs_in_flight: null, images_per_day: null, stored_bytes: null, requests_per_minute: null, request_burst: null };
const aliceAccount: AdminUser = { ...alice, disabled: false, limits: noLimits, usage: usage() };
const adminAccount: AdminUser = { ...admin, disabled: false, limits: noLimits, usage: usage({ jobs_in_flight: { used: 0, limit: 20, resets_at: null } }) };

function server(extra: Record<string, unknown> = {}) {
  return fakeApi({
    'GET /auth/me': { user: admin },
    'GET /me/preferences': noPrefs,
    'GET /models': { items: [freeModel] },
    'GET /admin/users': { items: [aliceAccount, adminAccount], next_cursor: null },
    ...extra,
  });
}

describe('Users page', () => {
  it('is not available to users who are not administrators, and not in their navigation', async () => {
    server({ 'GET /auth/me': { user: alice } });
    openApp('/users');
    expect(await screen.findByText('Not available')).toBeTruthy();
    expect(screen.queryByRole('link', { name: 'Users' })).toBeNull();
  });

  it('lists every account with usage bars against its limits', async () => {
    server();
    openApp('/users');
    const cards = await screen.findAllByTestId('admin-user');
    expect(cards).toHaveLength(2);
    expect(screen.getByRole('link', { name: 'Users' }).getAttribute('aria-current')).toBe('page');
    const first = within(cards[0]);
    expect(first.getByRole('heading', { name: 'alice@example.com' })).toBeTruthy();
    const jobs = first.getByRole('meter', { name: 'Generations in flight' });
    expect(jobs.getAttribute('aria-valuenow')).toBe('3');
    expect(jobs.getAttribute('aria-valuemax')).toBe('20');
    expect(first.getByRole('meter', { name: 'Images today' }).getAttribute('aria-valuetext')).toBe('120 of 500');
    expect(first.getByText('Requests: 600 a minute, in bursts of up to 120.')).toBeTruthy();
    // An administrator cannot disable their own account.
    expect(within(cards[1]).queryByRole('button', { name: 'Disable account' })).toBeNull();
  });

  it('sets a user\'s own limits (an empty field is the default) and shows the answer', async () => {
    const api = server({
      'PATCH /admin/users/u1': (body: unknown) => ({ ...aliceAccount, limits: { ...noLimits, ...(body as { limits: object }).limits, jobs_in_flight: 5 }, usage: usage({ jobs_in_flight: { used: 3, limit: 5, resets_at: null } }) }),
    });
    openApp('/users');
    const card = within((await screen.findAllByTestId('admin-user'))[0]);
    const user = userEvent.setup();
    await user.click(card.getByRole('button', { name: 'Edit limits' }));
    const field = card.getByLabelText('Generations in flight', { selector: 'input' });
    expect(field.getAttribute('placeholder')).toBe('20');
    await user.type(field, '5');
    await user.click(card.getByRole('button', { name: 'Save limits' }));
    await waitFor(() => expect(api.count('PATCH', '/admin/users/u1')).toBe(1));
    expect(api.calls.find((c) => c.method === 'PATCH')!.body).toEqual({ limits: { ...noLimits, jobs_in_flight: 5 } });
    await waitFor(() => expect(card.getByRole('meter', { name: 'Generations in flight' }).getAttribute('aria-valuemax')).toBe('5'));
  });

  it('disables and enables an account', async () => {
    const api = server({
      'PATCH /admin/users/u1': (body: unknown) => ({ ...aliceAccount, disabled: (body as { disabled: boolean }).disabled }),
    });
    openApp('/users');
    const card = within((await screen.findAllByTestId('admin-user'))[0]);
    const user = userEvent.setup();
    await user.click(card.getByRole('button', { name: 'Disable account' }));
    expect(await card.findByText('Disabled')).toBeTruthy();
    expect(api.calls.find((c) => c.method === 'PATCH')!.body).toEqual({ disabled: true });
    await user.click(card.getByRole('button', { name: 'Enable account' }));
    await waitFor(() => expect(card.queryByText('Disabled')).toBeNull());
  });

  it('shows the server\'s refusal of a limit', async () => {
    server({ 'PATCH /admin/users/u1': apiError(400, 'invalid_argument', 'images_per_day must be an integer between 1 and 1000000000', 'images_per_day') });
    openApp('/users');
    const card = within((await screen.findAllByTestId('admin-user'))[0]);
    const user = userEvent.setup();
    await user.click(card.getByRole('button', { name: 'Edit limits' }));
    await user.type(card.getByLabelText('Images per day', { selector: 'input' }), '3000000000');
    await user.click(card.getByRole('button', { name: 'Save limits' }));
    expect(await card.findByText(/must be an integer between 1/)).toBeTruthy();
  });
});

describe('Settings page', () => {
  it('shows the user\'s own usage against their limits', async () => {
    server({ 'GET /auth/me': { user: alice }, 'GET /me/usage': usage() });
    openApp('/settings');
    const storage = await screen.findByRole('meter', { name: 'Storage' });
    expect(storage.getAttribute('aria-valuetext')).toBe('2.0 GB of 5.4 GB');
    expect(screen.getByText(/Starts again .* \(midnight UTC\)/)).toBeTruthy();
  });
});
