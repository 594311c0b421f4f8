// The Kubernetes overlays render with kubectl's kustomize, every object validates against the
// Kubernetes API schemas, and the project's rules hold; each rule is shown to fail on a bad
// manifest.

import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';

import {
  OVERLAYS, containers, find, floatingImages, insecureContainers, kubectlAvailable, missingProbes,
  missingResources, realLookingSecrets, renderOverlay, schemaErrors,
} from './lib/k8s.mjs';
import { unknownSettings } from './lib/settings.mjs';

const skip = kubectlAvailable() ? false : 'kubectl is not installed: it renders the Kustomize overlays (install kubectl 1.27 or newer)';
const rendered = {};
const copy = (value) => structuredClone(value);

describe('Kubernetes overlays', { skip }, () => {
  before(() => {
    for (const overlay of OVERLAYS) rendered[overlay] = renderOverlay(overlay);
  });

  for (const overlay of OVERLAYS) {
    test(`${overlay}: every object validates against the Kubernetes API schemas`, async () => {
      const errors = (await Promise.all(rendered[overlay].map(schemaErrors))).flat();
      assert.deepEqual(errors, []);
    });

    test(`${overlay}: probes, resources, non-root containers, placeholder secrets`, () => {
      const objects = rendered[overlay];
      assert.deepEqual(missingProbes(objects), []);
      assert.deepEqual(missingResources(objects), []);
      assert.deepEqual(insecureContainers(objects), []);
      assert.deepEqual(realLookingSecrets(objects), []);
    });

    test(`${overlay}: the seed's shape`, () => {
      const objects = rendered[overlay];
      for (const ns of ['rendermart', 'rendermart-db']) assert.ok(find(objects, 'Namespace', ns), ns);
      assert.equal(find(objects, 'Deployment', 'backend').spec.replicas, 2);
      assert.equal(find(objects, 'Deployment', 'frontend').spec.replicas, 2);
      assert.deepEqual(find(objects, 'Deployment', 'worker').spec.template.spec.containers[0].args, ['worker']);
      assert.deepEqual(find(objects, 'Deployment', 'backend').spec.template.spec.containers[0].args, ['api']);
      assert.equal(find(objects, 'Deployment', 'backend').spec.template.spec.containers[0].ports[0].containerPort, 3300);
      for (const name of ['backend-service', 'frontend-service']) {
        const service = find(objects, 'Service', name);
        assert.equal(service.spec.type, 'ClusterIP');
        assert.equal(service.spec.ports[0].port, 80);
      }
      const paths = find(objects, 'Ingress', 'ingress').spec.rules[0].http.paths
        .map((p) => [p.path, p.backend.service.name]);
      assert.deepEqual(paths, [['/api/', 'backend-service'], ['/', 'frontend-service']]);
      const postgres = find(objects, 'StatefulSet', 'postgres');
      assert.equal(postgres.metadata.namespace, 'rendermart-db');
      assert.match(postgres.spec.template.spec.containers[0].image, /^postgres:15\./);
      assert.equal(postgres.spec.volumeClaimTemplates[0].spec.resources.requests.storage, '10Gi');
      assert.equal(find(objects, 'Service', 'postgres').spec.clusterIP, 'None');
      assert.deepEqual(find(objects, 'Job', 'migrate').spec.template.spec.containers[0].args, ['migrate']);
      assert.equal(find(objects, 'HorizontalPodAutoscaler', 'backend').spec.scaleTargetRef.name, 'backend');
      for (const name of ['backend', 'frontend', 'worker']) assert.ok(find(objects, 'PodDisruptionBudget', name), name);
      const scaler = find(objects, 'ScaledObject', 'worker');
      assert.equal(scaler.spec.scaleTargetRef.name, 'worker');
      assert.equal(scaler.spec.triggers[0].type, 'postgresql');
      assert.match(scaler.spec.triggers[0].metadata.query, /FROM jobs WHERE status = 'queued'/);
      const auth = find(objects, 'TriggerAuthentication', scaler.spec.triggers[0].authenticationRef.name);
      assert.ok(find(objects, 'Secret', auth.spec.secretTargetRef[0].name), 'the scaler reads an existing Secret');
      // Only the backend, workers, migrations and KEDA reach PostgreSQL.
      assert.deepEqual(find(objects, 'NetworkPolicy', 'default-deny-ingress').spec, { podSelector: {}, policyTypes: ['Ingress'] });
      const allowed = find(objects, 'NetworkPolicy', 'postgres-clients').spec.ingress[0].from;
      assert.deepEqual(allowed[0].podSelector.matchExpressions[0].values, ['backend', 'worker', 'migrate']);
      // Every Secret and ConfigMap that a pod reads exists.
      for (const { container, what } of containers(objects)) {
        for (const source of container.envFrom || []) {
          const ref = source.configMapRef ? ['ConfigMap', source.configMapRef.name] : ['Secret', source.secretRef.name];
          assert.ok(find(objects, ...ref), `${what} reads ${ref.join(' ')}`);
        }
      }
    });
  }

  // The API in the seed's pod size on the image without libtorch; workers on the engine's image
  // sized for local models, except on EKS, whose workers call Bedrock.
  const sizes = {
    local: { backend: ['rendermart-backend', '64Mi', '128Mi'], worker: ['rendermart-worker', '4Gi', '8Gi'] },
    eks: { backend: ['rendermart-backend', '64Mi', '128Mi'], worker: ['rendermart-backend', '128Mi', '256Mi'] },
  };
  for (const overlay of OVERLAYS) {
    test(`${overlay}: each pod's image and memory`, () => {
      const objects = rendered[overlay];
      const imageName = (container) => container.image.replace(/:[^:/]+$/, '').replace(/^.*\//, '');
      for (const [name, [image, request, limit]] of Object.entries(sizes[overlay])) {
        const container = find(objects, 'Deployment', name).spec.template.spec.containers[0];
        assert.equal(imageName(container), image, name);
        assert.deepEqual([container.resources.requests.memory, container.resources.limits.memory], [request, limit], name);
      }
      const api = find(objects, 'Deployment', 'backend').spec.template.spec.containers[0];
      assert.deepEqual([api.resources.requests.cpu, api.resources.limits.cpu], ['250m', '1']);
      assert.equal(imageName(find(objects, 'Job', 'migrate').spec.template.spec.containers[0]), 'rendermart-backend');
    });
  }

  test('local: nginx ingress, images built here, a shared volume for image files', () => {
    const objects = rendered.local;
    assert.equal(find(objects, 'Ingress', 'ingress').spec.ingressClassName, 'nginx');
    assert.equal(find(objects, 'ConfigMap', 'rendermart-config').data.RENDERMART_STORAGE_URL, 'file:///var/lib/rendermart/blobs');
    for (const name of ['backend', 'worker']) {
      const pod = find(objects, 'Deployment', name).spec.template.spec;
      assert.equal(pod.containers.length, 1, `${name} has one container`);
      assert.ok(pod.containers[0].volumeMounts.some((m) => m.mountPath === '/var/lib/rendermart/blobs'), name);
      assert.ok(pod.volumes.some((v) => v.persistentVolumeClaim?.claimName === 'rendermart-blobs'), name);
    }
  });

  test('eks: ALB, ECR images with versions, S3 and Bedrock settings, IRSA, gp3', () => {
    const objects = rendered.eks;
    assert.deepEqual(floatingImages(objects), []);
    const ingress = find(objects, 'Ingress', 'ingress');
    assert.equal(ingress.spec.ingressClassName, 'alb');
    assert.equal(ingress.metadata.annotations['alb.ingress.kubernetes.io/scheme'], 'internet-facing');
    assert.equal(ingress.metadata.annotations['alb.ingress.kubernetes.io/target-type'], 'ip');
    assert.match(ingress.metadata.annotations['alb.ingress.kubernetes.io/certificate-arn'], /^arn:aws:acm:/);
    for (const name of ['backend', 'worker', 'frontend']) {
      assert.match(find(objects, 'Deployment', name).spec.template.spec.containers[0].image,
        /^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com\/rendermart-(backend|frontend):/);
    }
    const config = find(objects, 'ConfigMap', 'rendermart-config').data;
    assert.match(config.RENDERMART_STORAGE_URL, /^s3:\/\//);
    assert.ok(config.RENDERMART_BEDROCK_REGION);
    assert.equal(config.RENDERMART_BEDROCK_MODELS.split(',').length, 3);
    assert.match(find(objects, 'ServiceAccount', 'rendermart').metadata.annotations['eks.amazonaws.com/role-arn'], /^arn:aws:iam::\d{12}:role\//);
    for (const name of ['backend', 'worker']) {
      assert.equal(find(objects, 'Deployment', name).spec.template.spec.serviceAccountName, 'rendermart');
    }
    assert.equal(find(objects, 'StatefulSet', 'postgres').spec.volumeClaimTemplates[0].spec.storageClassName, 'gp3');
    assert.equal(find(objects, 'StorageClass', 'gp3').parameters.type, 'gp3');
  });

  // The binary refuses unknown RENDERMART_* variables, so a typo here would stop every pod.
  test('every RENDERMART_ setting in the ConfigMaps and Secrets is one the binary knows', () => {
    for (const overlay of OVERLAYS) {
      const maps = rendered[overlay].filter((o) => o.kind === 'ConfigMap' || o.kind === 'Secret');
      const names = maps.flatMap((map) => Object.keys({ ...map.data, ...map.stringData }));
      assert.deepEqual(unknownSettings(names), [], overlay);
    }
    assert.deepEqual(unknownSettings(['RENDERMART_DOWNLOAD', 'RENDERMART_PORT']), ['RENDERMART_DOWNLOAD']);
  });

  // Each rule fails on a manifest that breaks it.
  test('the rules catch bad manifests', async () => {
    const good = rendered.eks;
    const mutate = (change) => {
      const objects = copy(good);
      change(objects);
      return objects;
    };
    const backend = (objects) => find(objects, 'Deployment', 'backend').spec.template.spec;

    assert.match((await schemaErrors({ ...copy(find(good, 'Service', 'backend-service')), spec: { ports: [{ port: 'eighty' }] } }))[0], /must be integer/);
    assert.match((await schemaErrors({ apiVersion: 'example.com/v1', kind: 'Gadget', metadata: { name: 'x' } }))[0], /no schema/);

    assert.match(missingProbes(mutate((o) => { delete backend(o).containers[0].readinessProbe; })).join(), /backend container backend has no readinessProbe/);
    assert.match(missingProbes(mutate((o) => { delete backend(o).containers[0].livenessProbe; })).join(), /has no livenessProbe/);
    assert.match(missingResources(mutate((o) => { delete backend(o).containers[0].resources.limits; })).join(), /has no limits.cpu/);
    assert.match(missingResources(mutate((o) => { delete find(o, 'Job', 'migrate').spec.template.spec.containers[0].resources; })).join(), /Job\/migrate/);

    assert.match(insecureContainers(mutate((o) => {
      delete backend(o).securityContext.runAsNonRoot;
      delete backend(o).containers[0].securityContext.runAsNonRoot;
    })).join(), /may run as root/);
    assert.match(insecureContainers(mutate((o) => { backend(o).containers[0].securityContext.runAsUser = 0; })).join(), /runs as root/);
    assert.match(insecureContainers(mutate((o) => { backend(o).containers[0].securityContext.allowPrivilegeEscalation = true; })).join(), /privilege escalation/);
    assert.match(insecureContainers(mutate((o) => { delete backend(o).containers[0].securityContext.readOnlyRootFilesystem; })).join(), /writable root/);

    assert.match(floatingImages(mutate((o) => { backend(o).containers[0].image = '111122223333.dkr.ecr.us-east-1.amazonaws.com/rendermart-backend:latest'; })).join(), /latest/);
    assert.match(floatingImages(mutate((o) => { backend(o).containers[0].image = 'rendermart-backend'; })).join(), /latest/);
    assert.match(floatingImages(mutate((o) => { backend(o).containers[0].image = 'registry:5000/rendermart-backend'; })).join(), /latest/);
    assert.deepEqual(floatingImages(mutate((o) => { backend(o).containers[0].image = 'registry:5000/rendermart-backend@sha256:' + 'a'.repeat(64); })), []);

    assert.match(realLookingSecrets(mutate((o) => {
      find(o, 'Secret', 'postgres-secrets').data.POSTGRES_PASSWORD = Buffer.from('hunter2-Xq9').toString('base64');
    })).join(), /postgres-secrets has real-looking data in POSTGRES_PASSWORD/);
    assert.match(realLookingSecrets([{ kind: 'Secret', metadata: { name: 's' }, stringData: { token: 'ghp_abc' } }]).join(), /real-looking/);
  });
});
