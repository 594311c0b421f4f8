// End to end: an administrator installs a model from the Models page against a local stand-in for
// the Hugging Face Hub (tests/integration/lib/hub_server.mjs, serving the tiny fixture models),
// follows its download live, cancels another, uses the new model on Create and removes it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { defaultRepos, startHub, TEST_OWNER } from '../../tests/integration/lib/hub_server.mjs';
import { PASSWORD, hasLocalEngine, newBrowser, shot, signIn, startServer } from './harness.mjs';

describe('the model library in the browser', { skip: !hasLocalEngine() && 'built without libtorch' }, () => {
  const adminEmail = `admin-${Date.now()}@example.com`;
  const SOURCE = 'Hub repository or file URL';
  let hub;
  let server;
  let admin;

  before(async () => {
    // The recommended model's repository is served with the tiny SD 2 fixture: its one-click install runs here.
    const repos = defaultRepos();
    hub = await startHub({ repos: { ...repos, 'stabilityai/sd-turbo': repos[`${TEST_OWNER}/tiny-sd2`] } });
    server = await startServer({ env: { HF_ENDPOINT: hub.url } });
    await server.createUser(adminEmail, PASSWORD, { admin: true });
    admin = await newBrowser();
    await signIn(admin.page, server.url, adminEmail);
  });

  after(async () => {
    await admin?.close();
    await server?.stop();
    await hub?.close();
  });

  /** Starts a pull from the Models page's form and returns its card, once the server answered. */
  async function pull(page, source) {
    await page.getByLabel(SOURCE).fill(source);
    await page.getByRole('button', { name: 'Pull model' }).click();
    const card = page.getByTestId('pull').filter({ hasText: source });
    await card.waitFor();
    return card;
  }

  test('a pull shows its progress live, installs the model, and Create offers it', async () => {
    const { page } = admin;
    await page.getByTestId('no-ai-model').waitFor();
    await page.getByRole('link', { name: 'Models', exact: true }).click();
    await page.getByText('No local model is installed yet.').waitFor();

    // Each download stops after 1 MB until released: the pull is seen on its way. The card started
    // from the POST's answer (files not listed yet); the stream brings the listing and the progress.
    hub.stallAfter(1_000_000);
    const card = await pull(page, `${TEST_OWNER}/tiny-sd1`);
    await card.getByText('text_encoder/model.safetensors').waitFor();
    assert.equal(await card.getAttribute('data-status'), 'running');
    // While the download stands still, the card shows the bytes that came before it stopped: the
    // small files and the first megabyte of the text encoder.
    const bytes = card.getByTestId('pull-bytes');
    const stalled = /^1\.\d MB of [\d.]+ MB · [1-9]\d* of \d+ files$/;
    for (let waited = 0; !stalled.test(await bytes.textContent()); waited += 100) {
      assert.ok(waited < 10_000, `the stalled bytes shown: ${await bytes.textContent()}`);
      await sleep(100);
    }
    const bar = card.getByRole('progressbar', { name: `Download of ${TEST_OWNER}/tiny-sd1` });
    assert.ok(Number(await bar.getAttribute('aria-valuenow')) > 0, 'the bar has moved');
    assert.match(await card.locator('[aria-live=polite]').textContent(), /^Downloading rendermart-tests\/tiny-sd1: \d+%\.$/);
    await shot(page, '19-models-pulling');

    hub.release();
    await card.getByText('Installed as “tiny-sd1”.').waitFor();
    assert.equal(await card.getByRole('button', { name: /Cancel/ }).count(), 0);
    const installed = page.getByTestId('installed-model').filter({ hasText: 'tiny-sd1' });
    await installed.waitFor();
    const facts = await installed.textContent();
    for (const want of ['FormatDiffusers folder', 'FamilyStable Diffusion 1.x', 'Licensecreativeml-openrail-m']) assert.ok(facts.includes(want), `${want} in ${facts}`);
    await shot(page, '20-models-installed');

    // Create offers it at once, as a local AI model, and the note about the demo generator is gone.
    await page.getByRole('link', { name: 'Create', exact: true }).click();
    const picker = page.getByLabel('Model', { exact: true });
    await picker.locator('option', { hasText: 'tiny-sd1' }).waitFor({ state: 'attached' });
    assert.equal(await page.getByTestId('no-ai-model').count(), 0);
    await picker.selectOption('tiny-sd1');
    assert.equal(await page.getByTestId('model-description').getByTestId('model-kind').textContent(), 'Local AI model');
  });

  test('a pull can be canceled, and a model removed after a confirmation', async () => {
    const { page } = admin;
    await page.getByRole('link', { name: 'Models', exact: true }).click();
    hub.stallAfter(1_000_000);
    const card = await pull(page, `${TEST_OWNER}/tiny-sd2`);
    await page.locator('[data-testid=pull][data-status=running]').filter({ hasText: `${TEST_OWNER}/tiny-sd2` }).waitFor();
    await card.getByRole('button', { name: `Cancel the pull of ${TEST_OWNER}/tiny-sd2` }).click();
    await card.getByText(/Canceled\. What was downloaded is kept/).waitFor();
    hub.release();
    assert.equal(await page.getByTestId('installed-model').filter({ hasText: 'tiny-sd2' }).count(), 0);

    // An unknown repository: the pull fails, and says so on its card.
    const unknown = `${TEST_OWNER}/no-such-model`;
    await page.getByLabel(SOURCE).fill(unknown);
    await page.getByRole('button', { name: 'Pull model' }).click();
    const failed = page.locator('[data-testid=pull][data-status=failed]').filter({ hasText: unknown });
    await failed.waitFor();
    assert.match(await failed.getByRole('alert').textContent(), /^Pull of rendermart-tests\/no-such-model failed: .*no-such-model.* \(not_found\)$/);
    await shot(page, '21-models-canceled-and-failed');

    const installed = page.getByTestId('installed-model').filter({ hasText: 'tiny-sd1' });
    await installed.getByRole('button', { name: 'Remove tiny-sd1' }).click();
    await installed.getByRole('group', { name: 'Remove tiny-sd1?' }).getByRole('button', { name: 'Remove' }).click();
    await page.getByText('Removed tiny-sd1.').waitFor();
    await installed.waitFor({ state: 'detached' });
    await page.getByRole('link', { name: 'Create', exact: true }).click();
    await page.getByTestId('no-ai-model').waitFor();
  });

  test('on Create, an administrator installs the recommended model in one click and follows it there', async () => {
    const { page } = admin;
    const note = page.getByTestId('no-ai-model');
    hub.stallAfter(1_000_000); // held half-way, to be seen
    await note.getByRole('button', { name: 'Install sd-turbo' }).click();
    const card = note.locator('[data-testid=pull][data-status=running]').filter({ hasText: 'stabilityai/sd-turbo' });
    await card.getByRole('progressbar').waitFor();
    assert.equal(await note.getByRole('button', { name: 'Installing…' }).isDisabled(), true);
    await shot(page, '22-create-installing');
    hub.release();
    // Once installed, the note goes: the server offers an AI model now, picked in the Model list.
    await page.getByText('Installed “sd-turbo”: pick it in the Model list.').waitFor();
    await note.waitFor({ state: 'detached' });
    const picker = page.getByLabel('Model', { exact: true });
    assert.deepEqual(await picker.locator('option').evaluateAll((os) => os.map((o) => o.value)), ['procedural', 'sd-turbo']);
    await shot(page, '23-create-installed');
  });
});
