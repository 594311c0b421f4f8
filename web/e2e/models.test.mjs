// End to end: what administrators and users see about models on a server whose only model is the
// built-in demo generator (the e2e server has no models folder and no cloud provider).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { PASSWORD, newBrowser, shot, signIn, signUp, startServer } from './harness.mjs';

const adminEmail = `admin-${Date.now()}@example.com`;
let server;

before(async () => {
  server = await startServer();
  await server.createUser(adminEmail, PASSWORD, { admin: true });
});

after(async () => {
  await server?.stop();
});

/** Nothing wider than the window: no sideways scrolling on a phone. */
async function fitsWidth(page) {
  return page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
}

test('an administrator is offered a model on Create and has a Models page; the answer follows the server', async () => {
  const admin = await newBrowser();
  try {
    const { page } = admin;
    await signIn(page, server.url, adminEmail);
    // No local engine in this server: GET /api/v1/admin/models answers 404; with one, the library.
    const library = await admin.context.request.get(`${server.url}/api/v1/admin/models`);
    assert.ok([200, 404].includes(library.status()), `GET /api/v1/admin/models: ${library.status()}`);
    const engine = library.status() === 200;

    const note = page.getByTestId('no-ai-model');
    await note.waitFor();
    assert.match(await note.textContent(), /rendermart models pull stabilityai\/sd-turbo/);
    if (engine) await note.getByRole('button', { name: /^Install / }).first().waitFor();
    else assert.match(await note.getByTestId('no-local-engine').textContent(), /runs no local engine/);
    await shot(page, '15-create-no-ai-model-admin');

    await note.getByRole('link', { name: 'Models page' }).click();
    await page.getByRole('heading', { name: 'Models', exact: true }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'Models', exact: true }).getAttribute('aria-current'), 'page');
    if (engine) await page.getByRole('form', { name: 'Pull a model' }).waitFor();
    else await page.getByRole('heading', { name: 'No local engine' }).waitFor();
    await shot(page, '16-models');
  } finally {
    await admin.close();
  }
});

test('on a phone the note and the Models page fit the screen', async () => {
  const phone = await newBrowser({ width: 390, height: 844 });
  try {
    const { page } = phone;
    await signIn(page, server.url, adminEmail);
    await page.getByTestId('no-ai-model').waitFor();
    await page.getByTestId('model-description').waitFor();
    assert.ok(await fitsWidth(page), 'Create fits 390px');
    await shot(page, '17-phone-create-no-ai-model');
    await page.getByRole('link', { name: 'Models', exact: true }).click();
    await page.getByRole('heading', { name: 'Models', exact: true }).waitFor();
    await page.getByTestId('no-local-engine').or(page.getByRole('form', { name: 'Pull a model' })).waitFor();
    assert.ok(await fitsWidth(page), 'Models fits 390px');
    await shot(page, '18-phone-models');
  } finally {
    await phone.close();
  }
});

test('the Models page is not available to other users, nor in their navigation', async () => {
  const user = await newBrowser();
  try {
    const { page } = user;
    await signUp(page, server.url, `user-${Date.now()}@example.com`);
    await page.getByTestId('no-ai-model').waitFor();
    assert.match(await page.getByTestId('no-ai-model').textContent(), /Ask an administrator/);
    assert.equal(await page.getByRole('link', { name: 'Models', exact: true }).count(), 0);
    await page.goto(`${server.url}/models`);
    await page.getByText('Not available').waitFor();
    const answer = await user.context.request.get(`${server.url}/api/v1/admin/models`);
    assert.equal(answer.status(), 404);
  } finally {
    await user.close();
  }
});
