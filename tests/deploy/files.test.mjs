// Checks of the deployment files that no engine runs here: the Dockerfiles (parsed), the GitHub
// Actions workflows, skaffold.yaml, the eksctl config, the IAM and bucket policies and the SAM
// template; and deploy/eks/configure.sh, run on a copy.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import YAML from 'yaml';

import { REPO_ROOT, find, kubectlAvailable, renderOverlay } from './lib/k8s.mjs';
import { unknownSettings } from './lib/settings.mjs';

const read = (file) => fs.readFileSync(path.join(REPO_ROOT, file), 'utf8');
const yaml = (file) => YAML.parse(read(file));
const json = (file) => JSON.parse(read(file));

// Dockerfile instructions per stage: [{ from, name, instructions: [[KEYWORD, args]] }], with
// line continuations joined and comments dropped.
function dockerStages(file) {
  const lines = read(file).replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const stages = [];
  for (const line of lines) {
    const [keyword, ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (keyword.toUpperCase() === 'FROM') {
      const [image, , name] = args.split(/\s+/);
      stages.push({ from: image, name, instructions: [] });
    } else {
      assert.ok(stages.length, `${file}: ${keyword} before FROM`);
      stages.at(-1).instructions.push([keyword.toUpperCase(), args]);
    }
  }
  return stages;
}
const args = (stage, keyword) => stage.instructions.filter(([k]) => k === keyword).map(([, a]) => a);

describe('Dockerfiles', () => {
  test('backend: two images, each with its own binary and packages, run from Debian 12 as a non-root user', () => {
    const stages = dockerStages('deploy/docker/backend.Dockerfile');
    const stage = Object.fromEntries(stages.map((s) => [s.name, s]));
    assert.deepEqual(stages.map((s) => s.name), ['build', 'build-backend', 'build-worker', 'runtime', 'worker', 'backend'],
      'the api image (backend) is the last stage, which a build without --target makes');
    assert.match(stage.build.from, /^node:20-bookworm$/, 'the build stage is Debian 12 (bookworm)');
    assert.ok(args(stage.build, 'RUN').some((a) => a.includes('bash scripts/install-deps.sh serve')));
    // Each image's build stage compiles only its binary.
    assert.equal(stage['build-backend'].from, 'build');
    assert.ok(args(stage['build-backend'], 'RUN')[0].endsWith('bash deploy/docker/build-binary.sh rendermart-slim /rendermart'));
    assert.equal(stage['build-worker'].from, 'build');
    assert.ok(args(stage['build-worker'], 'RUN')[0].endsWith('bash deploy/docker/build-binary.sh rendermart /rendermart'));
    // The runtime installs exactly the list that check_runtime_libs.sh checks for rendermart-slim;
    // the worker adds the engine's list.
    assert.match(stage.runtime.from, /^debian:12(-slim)?$/);
    assert.deepEqual(args(stage.runtime, 'COPY'), ['deploy/docker/runtime-packages.txt /tmp/runtime-packages.txt']);
    assert.ok(args(stage.runtime, 'RUN')[0].includes("grep -v '^#' /tmp/runtime-packages.txt | xargs apt-get install -y --no-install-recommends"));
    assert.deepEqual(JSON.parse(args(stage.runtime, 'ENTRYPOINT')[0]), ['/usr/local/bin/rendermart']);
    assert.deepEqual(args(stage.runtime, 'EXPOSE'), ['3300']);
    assert.equal(stage.worker.from, 'runtime');
    assert.deepEqual(args(stage.worker, 'COPY'), ['deploy/docker/runtime-packages-engine.txt /tmp/runtime-packages-engine.txt',
      '--from=build-worker /rendermart /usr/local/bin/rendermart']);
    assert.ok(args(stage.worker, 'RUN')[0].includes("grep -v '^#' /tmp/runtime-packages-engine.txt | xargs apt-get install -y --no-install-recommends"));
    assert.deepEqual(JSON.parse(args(stage.worker, 'CMD')[0]), ['worker']);
    assert.equal(stage.backend.from, 'runtime');
    assert.deepEqual(args(stage.backend, 'COPY'), ['--from=build-backend /rendermart /usr/local/bin/rendermart']);
    assert.deepEqual(args(stage.backend, 'RUN'), [], 'rendermart-backend installs nothing more');
    assert.deepEqual(JSON.parse(args(stage.backend, 'CMD')[0]), ['api']);
    for (const name of ['worker', 'backend']) assert.deepEqual(args(stage[name], 'USER'), ['10001:10001'], name);
  });

  test('frontend: the Vite build served by nginx as a non-root user', () => {
    const [build, runtime] = dockerStages('deploy/docker/frontend.Dockerfile');
    assert.ok(args(build, 'RUN').some((a) => a.includes('npm ci')));
    assert.ok(args(build, 'RUN').some((a) => a.includes('npm run build')));
    assert.match(runtime.from, /^debian:12(-slim)?$/);
    assert.ok(args(runtime, 'RUN')[0].includes('nginx-light'));
    assert.ok(args(runtime, 'COPY').includes('deploy/docker/nginx.conf /etc/nginx/nginx.conf'));
    assert.ok(args(runtime, 'COPY').includes('--from=build /src/web/dist /usr/share/rendermart/web'));
    assert.deepEqual(args(runtime, 'USER'), ['10001:10001']);
    assert.deepEqual(args(runtime, 'EXPOSE'), ['8080']);
    assert.deepEqual(JSON.parse(args(runtime, 'ENTRYPOINT')[0]), ['nginx', '-e', 'stderr', '-g', 'daemon off;']);
  });

  test('.dockerignore keeps builds, dependencies and secrets out of the context', () => {
    const ignored = read('.dockerignore').split('\n').filter((l) => l && !l.startsWith('#'));
    for (const entry of ['.git', 'build*/', '**/node_modules', 'web/dist', 'deploy/k8s/overlays/*/secrets/*.env']) {
      assert.ok(ignored.includes(entry), entry);
    }
  });
});

describe('GitHub Actions', () => {
  const checkWorkflow = (workflow, file) => {
    assert.ok(workflow.name, `${file}: name`);
    assert.ok(workflow.on, `${file}: on`);
    assert.ok(Object.keys(workflow.jobs).length, `${file}: jobs`);
    for (const [id, job] of Object.entries(workflow.jobs)) {
      if (job.uses) continue; // a reusable workflow
      assert.ok(job['runs-on'], `${file}: ${id} runs-on`);
      assert.ok(Array.isArray(job.steps) && job.steps.length, `${file}: ${id} steps`);
      for (const step of job.steps) {
        assert.ok(Boolean(step.uses) !== Boolean(step.run), `${file}: ${id}: a step has either uses or run`);
        if (step.uses && !step.uses.startsWith('./')) assert.match(step.uses, /^[\w.-]+\/[\w.-]+(\/[\w.-]+)*@v\d+$/, `${file}: ${step.uses} is pinned to a major version`);
      }
    }
  };

  test('CI runs the README test command in a Debian 12 container on every push and pull request', () => {
    const ci = yaml('.github/workflows/ci.yml');
    checkWorkflow(ci, 'ci.yml');
    assert.ok('push' in ci.on && 'pull_request' in ci.on && 'workflow_call' in ci.on);
    assert.equal(ci.jobs.test.container, 'debian:12');
    assert.ok(ci.jobs.test.steps.some((s) => s.run === './scripts/test.sh'));
    assert.ok(ci.jobs.test['timeout-minutes'] <= 90);
    assert.match(read('README.md'), /\.\/scripts\/test\.sh/);
  });

  test('release assumes an AWS role through OIDC, pushes to ECR and deploys with Skaffold', () => {
    const release = yaml('.github/workflows/release.yml');
    checkWorkflow(release, 'release.yml');
    assert.equal(release.jobs.test.uses, './.github/workflows/ci.yml');
    const deploy = release.jobs.deploy;
    assert.deepEqual(deploy.needs, 'test');
    assert.equal(deploy.permissions['id-token'], 'write');
    const credentials = deploy.steps.find((s) => s.uses?.startsWith('aws-actions/configure-aws-credentials@'));
    assert.ok(credentials.with['role-to-assume']);
    assert.ok(!('aws-access-key-id' in credentials.with), 'no stored AWS keys');
    assert.ok(deploy.steps.some((s) => s.uses?.startsWith('aws-actions/amazon-ecr-login@')));
    const runs = deploy.steps.filter((s) => s.run).map((s) => s.run).join('\n');
    assert.match(runs, /skaffold build -p eks/);
    assert.match(runs, /skaffold deploy -p eks --build-artifacts/);
    assert.match(runs, /deploy\/eks\/configure\.sh/);
  });
});

describe('Skaffold', () => {
  const config = yaml('skaffold.yaml');
  const profiles = Object.fromEntries(config.profiles.map((p) => [p.name, p]));
  const builds = [['local', config.build.artifacts], ['eks', profiles.eks.build.artifacts]];
  const short = (image) => image.replace(/^.*\//, '').replace(/:[^:/]+$/, '');

  test('builds the three images, the backend\'s two from their targets, and deploys the local and eks overlays', () => {
    assert.match(config.apiVersion, /^skaffold\/v4beta\d+$/);
    for (const [profile, artifacts] of builds) {
      const built = Object.fromEntries(artifacts.map((a) => [short(a.image), [a.docker.dockerfile, a.docker.target]]));
      assert.deepEqual(built, {
        'rendermart-backend': ['deploy/docker/backend.Dockerfile', 'backend'],
        'rendermart-worker': ['deploy/docker/backend.Dockerfile', 'worker'],
        'rendermart-frontend': ['deploy/docker/frontend.Dockerfile', undefined],
      }, profile);
      for (const [file] of Object.values(built)) assert.ok(fs.existsSync(path.join(REPO_ROOT, file)));
    }
    assert.deepEqual(Object.keys(profiles).sort(), ['eks', 'local']);
    assert.deepEqual(profiles.local.manifests.kustomize.paths, ['deploy/k8s/overlays/local']);
    assert.deepEqual(profiles.eks.manifests.kustomize.paths, ['deploy/k8s/overlays/eks']);
    assert.equal(profiles.eks.build.local.push, true);
  });

  test('its image names are the ones in the manifests, so that Skaffold puts its tags there', { skip: !kubectlAvailable() && 'kubectl is not installed' }, () => {
    for (const [overlay, artifacts] of builds) {
      const images = new Set(renderOverlay(overlay)
        .flatMap((o) => o.spec?.template?.spec?.containers || []).map((c) => c.image.replace(/:[^:/]+$/, '')));
      const built = artifacts.map((a) => a.image);
      for (const image of images) if (/rendermart-/.test(image)) assert.ok(built.includes(image), `${overlay}: ${image} is built`);
      // The eks workers call Bedrock on rendermart-backend; rendermart-worker is pushed for
      // local models, and the overlay names its ECR repository for when they switch.
      const unused = overlay === 'eks' ? ['rendermart-worker'] : [];
      for (const image of built) {
        if (unused.includes(short(image))) continue;
        assert.ok(images.has(image), `${overlay}: ${image} in the manifests`);
      }
    }
    const eksImages = yaml('deploy/k8s/overlays/eks/kustomization.yaml').images;
    assert.equal(eksImages.find((i) => i.name === 'rendermart-worker').newName,
      profiles.eks.build.artifacts.find((a) => short(a.image) === 'rendermart-worker').image);
  });

  // The API pods' image, followed from the manifests through skaffold.yaml's target to the
  // Dockerfile's stages: no stage on the way installs the engine's packages, and its binary is
  // rendermart-slim.
  test('no API pod runs an image with libtorch', { skip: !kubectlAvailable() && 'kubectl is not installed' }, () => {
    const stages = Object.fromEntries(dockerStages('deploy/docker/backend.Dockerfile').map((s) => [s.name, s]));
    const lineage = (name) => (stages[name] ? [stages[name], ...lineage(stages[name].from)] : []);
    for (const [overlay, artifacts] of builds) {
      const objects = renderOverlay(overlay);
      for (const [kind, name] of [['Deployment', 'backend'], ['Job', 'migrate']]) {
        const image = find(objects, kind, name).spec.template.spec.containers[0].image.replace(/:[^:/]+$/, '');
        const artifact = artifacts.find((a) => a.image === image);
        assert.equal(artifact.docker.dockerfile, 'deploy/docker/backend.Dockerfile', `${overlay} ${name}`);
        const chain = lineage(artifact.docker.target);
        assert.ok(chain.length >= 2, `${overlay} ${name}: target ${artifact.docker.target}`);
        const copies = chain.flatMap((stage) => args(stage, 'COPY'));
        assert.ok(!copies.some((c) => c.includes('runtime-packages-engine.txt')), `${overlay} ${name}: engine packages`);
        const binary = copies.find((c) => c.endsWith(' /usr/local/bin/rendermart')).match(/--from=(\S+)/)[1];
        assert.ok(args(stages[binary], 'RUN').some((r) => r.includes('build-binary.sh rendermart-slim')), `${overlay} ${name}: ${binary}`);
      }
    }
  });
});

describe('AWS', () => {
  // The current models: none Legacy or past its end of life on Bedrock.
  const MODELS = ['stability.sd3-5-large-v1:0', 'stability.stable-image-core-v1:1', 'stability.stable-image-ultra-v1:1'];
  // ListFoundationModels takes no resource-level permission: its Resource can only be "*".
  const LISTING = 'bedrock:ListFoundationModels';

  test('the application policy allows only the bucket prefix, InvokeModel on the configured models and the model listing', () => {
    const policy = json('deploy/eks/iam/rendermart-app-policy.json');
    for (const statement of policy.Statement) {
      assert.equal(statement.Effect, 'Allow');
      for (const action of [statement.Action].flat()) assert.ok(!action.includes('*'), `no wildcard action: ${action}`);
      if (statement.Action === LISTING) continue;
      for (const resource of [statement.Resource].flat()) assert.ok(!/^\*$|:\*$|::\*/.test(resource), `no wildcard resource: ${resource}`);
    }
    const bedrock = policy.Statement.find((s) => s.Action === 'bedrock:InvokeModel');
    assert.deepEqual(bedrock.Resource, MODELS.map((m) => `arn:aws:bedrock:us-east-1::foundation-model/${m}`));
    assert.equal(policy.Statement.find((s) => s.Action === LISTING)?.Resource, '*');
    const objects = policy.Statement.find((s) => [s.Action].flat().includes('s3:PutObject'));
    assert.equal(objects.Resource, 'arn:aws:s3:::rendermart-images-111122223333/images/*');
  });

  test('the bucket is private and TLS-only', () => {
    const policy = json('deploy/eks/iam/bucket-policy.json');
    assert.ok(policy.Statement.every((s) => s.Effect === 'Deny'), 'the bucket policy grants nothing');
    assert.ok(policy.Statement.some((s) => s.Condition?.Bool?.['aws:SecureTransport'] === 'false'));
    assert.deepEqual(json('deploy/eks/iam/public-access-block.json'),
      { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true });
  });

  test('the eksctl cluster has OIDC, the EBS CSI driver, NetworkPolicy enforcement and node groups', () => {
    const cluster = yaml('deploy/eks/cluster.yaml');
    assert.equal(cluster.apiVersion, 'eksctl.io/v1alpha5');
    assert.equal(cluster.kind, 'ClusterConfig');
    assert.equal(cluster.iam.withOIDC, true);
    const addons = Object.fromEntries(cluster.addons.map((a) => [a.name, a]));
    assert.ok(addons['aws-ebs-csi-driver'].wellKnownPolicies.ebsCSIController);
    assert.equal(JSON.parse(addons['vpc-cni'].configurationValues).enableNetworkPolicy, 'true');
    assert.ok(cluster.managedNodeGroups.length >= 1);
    const app = cluster.iam.serviceAccounts.find((s) => s.metadata.name === 'rendermart');
    assert.equal(app.roleName, 'rendermart-app');
    assert.deepEqual(app.attachPolicyARNs, ['arn:aws:iam::111122223333:policy/rendermart-app']);
  });

  test('the SAM template runs rendermart lambda on provided.al2023 behind an HTTP API, with least privilege', () => {
    const tags = ['Ref', 'Sub', 'GetAtt'].map((name) => ({ tag: `!${name}`, resolve: (value) => ({ [name]: value }) }));
    const template = YAML.parse(read('deploy/lambda/template.yaml'), { customTags: tags });
    assert.equal(template.Transform, 'AWS::Serverless-2016-10-31');
    const fn = template.Resources.ApiFunction.Properties;
    assert.equal(fn.Runtime, 'provided.al2023');
    assert.equal(fn.Handler, 'bootstrap');
    assert.equal(fn.CodeUri, '../../build/lambda/rendermart-lambda.zip');
    assert.ok(template.Globals.Function.Timeout <= 30, 'the function ends before the HTTP API integration times out (30 s)');
    assert.equal(fn.Events.Api.Type, 'HttpApi');
    assert.equal(fn.Events.Api.Properties.PayloadFormatVersion, '2.0');
    assert.equal(template.Resources.HttpApi.Type, 'AWS::Serverless::HttpApi');
    assert.equal(template.Parameters.DatabaseUrl.NoEcho, true);
    const statements = fn.Policies.find((p) => typeof p === 'object').Statement;
    const bedrock = statements.find((s) => s.Action === 'bedrock:InvokeModel');
    assert.deepEqual(bedrock.Resource.map((r) => r.Sub),
      MODELS.map((m) => `arn:\${AWS::Partition}:bedrock:\${AWS::Region}::foundation-model/${m}`));
    assert.equal(statements.find((s) => s.Action === LISTING)?.Resource, '*');
    assert.deepEqual(template.Parameters.BedrockModels.Default.split(','), MODELS);
    for (const statement of statements) for (const action of [statement.Action].flat()) assert.ok(!action.includes('*'), action);
    assert.equal(fn.Environment.Variables.RENDERMART_DOWNLOADS, 'redirect');
    assert.deepEqual(unknownSettings(Object.keys(fn.Environment.Variables)), []);
  });

  test('configure.sh puts an account\'s values everywhere', { skip: !kubectlAvailable() && 'kubectl is not installed' }, () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rendermart-configure-'));
    try {
      for (const item of ['deploy', 'skaffold.yaml']) fs.cpSync(path.join(REPO_ROOT, item), path.join(dir, item), { recursive: true });
      const script = path.join(dir, 'deploy', 'eks', 'configure.sh');
      assert.throws(() => execFileSync('bash', [script, '1234', 'eu-west-1'], { stdio: 'pipe' }), /ACCOUNT_ID must be 12 digits/);
      const certificate = 'arn:aws:acm:eu-west-1:444455556666:certificate/12345678-90ab-cdef-1234-567890abcdef';
      assert.throws(() => execFileSync('bash', [script, '444455556666', 'eu-west-1', certificate, 'https://x.org'], { stdio: 'pipe' }),
        /HOST_NAME looks wrong/);
      execFileSync('bash', [script, '444455556666', 'eu-west-1', certificate, 'images.example.org'], { stdio: 'pipe' });
      for (const file of ['skaffold.yaml', 'deploy/k8s/overlays/eks/kustomization.yaml', 'deploy/k8s/overlays/eks/config.yaml',
        'deploy/k8s/overlays/eks/ingress.yaml', 'deploy/eks/cluster.yaml', 'deploy/eks/iam/rendermart-app-policy.json']) {
        const text = fs.readFileSync(path.join(dir, file), 'utf8');
        assert.ok(!text.includes('111122223333') && !text.includes('us-east-1'), `${file} keeps an example value`);
      }
      assert.match(fs.readFileSync(path.join(dir, 'deploy/k8s/overlays/eks/ingress.yaml'), 'utf8'), new RegExp(certificate));
      assert.match(fs.readFileSync(path.join(dir, 'deploy/k8s/overlays/eks/config.yaml'), 'utf8'),
        /RENDERMART_PUBLIC_URL: https:\/\/images\.example\.org\n/);
      assert.match(fs.readFileSync(path.join(dir, 'skaffold.yaml'), 'utf8'), /444455556666\.dkr\.ecr\.eu-west-1\.amazonaws\.com\/rendermart-backend/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
