// Rendering the Kustomize overlays and checking what they produce: every object against the
// Kubernetes API schemas (kubernetes-models, generated from Kubernetes' OpenAPI; KEDA's CRDs from
// @kubernetes-models/keda), then the project's own rules. Each rule returns a list of problems,
// so that a test can show it catches a bad manifest.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const OVERLAYS = ['local', 'eks'];

export function kubectlAvailable() {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// Renders an overlay from a copy of deploy/k8s whose secrets/*.env are the committed examples
// (the real ones are never in git).
export function renderOverlay(overlay) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rendermart-k8s-'));
  try {
    fs.cpSync(path.join(REPO_ROOT, 'deploy', 'k8s'), path.join(dir, 'k8s'), { recursive: true });
    const secrets = path.join(dir, 'k8s', 'overlays', overlay, 'secrets');
    for (const name of fs.readdirSync(secrets)) {
      if (name.endsWith('.env.example')) fs.copyFileSync(path.join(secrets, name), path.join(secrets, name.replace(/\.example$/, '')));
    }
    const text = execFileSync('kubectl', ['kustomize', path.join(dir, 'k8s', 'overlays', overlay)], { encoding: 'utf8' });
    const objects = YAML.parseAllDocuments(text).map((doc) => doc.toJS()).filter(Boolean);
    // kustomize folds long base64 values over several lines; the API server's decoder skips the
    // line breaks, the schema's "byte" format does not.
    for (const secret of objects.filter((o) => o.kind === 'Secret')) {
      for (const key of Object.keys(secret.data || {})) secret.data[key] = secret.data[key].replace(/\s+/g, '');
    }
    return objects;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// apiVersion + kind -> the module of its model.
function modelModule(apiVersion, kind) {
  if (apiVersion.startsWith('keda.sh/')) return `@kubernetes-models/keda/${apiVersion}/${kind}`;
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : [null, apiVersion];
  return group ? `kubernetes-models/${group}/${version}/${kind}` : `kubernetes-models/${version}/${kind}`;
}

// Schema errors of one object, or [] when it is valid. A kind without a schema is an error.
export async function schemaErrors(object) {
  const name = `${object?.kind}/${object?.metadata?.name}`;
  if (!object?.apiVersion || !object?.kind) return [`${name}: no apiVersion or kind`];
  let Model;
  try {
    Model = (await import(modelModule(object.apiVersion, object.kind)))[object.kind];
  } catch {
    return [`${name}: no schema for ${object.apiVersion} ${object.kind}`];
  }
  try {
    new Model(object).validate();
    return [];
  } catch (error) {
    return [`${name}: ${error.message}`];
  }
}

const WORKLOADS = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'];

// [{ object, pod, container, what }] for every container of every pod template.
export function containers(objects) {
  const out = [];
  for (const object of objects) {
    if (!WORKLOADS.includes(object.kind)) continue;
    const pod = object.kind === 'CronJob' ? object.spec.jobTemplate.spec.template.spec : object.spec.template.spec;
    for (const container of [...(pod.initContainers || []), ...(pod.containers || [])]) {
      out.push({ object, pod, container, what: `${object.kind}/${object.metadata.name} container ${container.name}` });
    }
  }
  return out;
}

// Long-running containers need both probes (Jobs end by themselves: none).
export function missingProbes(objects) {
  return containers(objects)
    .filter(({ object, pod, container }) => !['Job', 'CronJob'].includes(object.kind) && (pod.containers || []).includes(container))
    .flatMap(({ container, what }) => ['readinessProbe', 'livenessProbe']
      .filter((probe) => !container[probe])
      .map((probe) => `${what} has no ${probe}`));
}

export function missingResources(objects) {
  const problems = [];
  for (const { container, what } of containers(objects)) {
    for (const kind of ['requests', 'limits']) {
      for (const resource of ['cpu', 'memory']) {
        if (!container.resources?.[kind]?.[resource]) problems.push(`${what} has no ${kind}.${resource}`);
      }
    }
  }
  return problems;
}

// A container may run as root unless runAsNonRoot holds for it (its own setting, else the pod's)
// and no runAsUser of 0 says otherwise; it must also not gain privileges or write its image.
export function insecureContainers(objects) {
  const problems = [];
  for (const { pod, container, what } of containers(objects)) {
    const own = container.securityContext || {};
    const podContext = pod.securityContext || {};
    const nonRoot = own.runAsNonRoot ?? podContext.runAsNonRoot;
    const user = own.runAsUser ?? podContext.runAsUser;
    if (nonRoot !== true) problems.push(`${what} may run as root (runAsNonRoot is not true)`);
    if (user === 0) problems.push(`${what} runs as root (runAsUser 0)`);
    if (own.privileged === true) problems.push(`${what} is privileged`);
    if (own.allowPrivilegeEscalation !== false) problems.push(`${what} allows privilege escalation`);
    if (own.readOnlyRootFilesystem !== true) problems.push(`${what} has a writable root file system`);
    if (!(own.capabilities?.drop || []).includes('ALL')) problems.push(`${what} keeps its Linux capabilities`);
  }
  return problems;
}

// Images must name a version: no tag (which means latest) and "latest" both change under a
// running deployment.
export function floatingImages(objects) {
  const problems = [];
  for (const { container, what } of containers(objects)) {
    const image = container.image || '';
    if (image.includes('@sha256:')) continue;
    const lastPart = image.split('/').pop();
    const tag = lastPart.includes(':') ? lastPart.split(':').pop() : '';
    if (!tag || tag === 'latest') problems.push(`${what} uses ${image}, which is latest: pin a version`);
  }
  return problems;
}

// Every value of every Secret must be an obvious placeholder: real secrets never go into git.
export const SECRET_PLACEHOLDER = 'REPLACE_ME';
export function realLookingSecrets(objects) {
  const problems = [];
  for (const object of objects.filter((o) => o.kind === 'Secret')) {
    const values = [
      ...Object.entries(object.data || {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
      ...Object.entries(object.stringData || {}),
    ];
    for (const [key, value] of values) {
      if (!String(value).includes(SECRET_PLACEHOLDER)) {
        problems.push(`Secret ${object.metadata.name} has real-looking data in ${key}: use ${SECRET_PLACEHOLDER}`);
      }
    }
  }
  return problems;
}

export function find(objects, kind, name) {
  return objects.find((o) => o.kind === kind && o.metadata.name === name);
}
