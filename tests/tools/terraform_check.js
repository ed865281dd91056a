// Checks deploy/terraform by parsing its HCL with @cdktf/hcl2json (HashiCorp's HCL parser compiled to
// WebAssembly): handler, runtime, architecture, least-privilege IAM scoped to prefixes, the trigger that
// cannot see the output prefix, and the SQS path's dead-letter queue and batch failure reporting.
// Then it proves each check can fail: it breaks the Terraform on purpose (in memory) and expects the
// matching check to say FAIL.
//   node terraform_check.js DEPS_NODE_MODULES TERRAFORM_DIR
// Prints "ok NAME" / "FAIL NAME: why" lines (the test protocol).
'use strict';
const fs = require('fs');
const path = require('path');

const [modules, dir] = process.argv.slice(2);
const {parse} = require(path.join(modules, '@cdktf', 'hcl2json'));

// ---------------------------------------------------------------- HCL -> one merged JSON tree

const parsed = new Map(); // name + text -> JSON: only a mutated file is parsed again
async function parseOnce(name, text) {
  const k = name + '\0' + text;
  if (!parsed.has(k)) parsed.set(k, JSON.stringify(await parse(name, text)));
  return JSON.parse(parsed.get(k));
}

async function load(files) {
  const merged = {resource: {}, data: {}, variable: {}, locals: [], tfvars: {}};
  for (const [name, text] of Object.entries(files)) {
    const j = await parseOnce(name, text);
    if (name.endsWith('.tfvars.example')) { Object.assign(merged.tfvars, j); continue; }
    for (const kind of ['resource', 'data']) {
      for (const [type, byName] of Object.entries(j[kind] || {})) {
        merged[kind][type] = Object.assign(merged[kind][type] || {}, byName);
      }
    }
    Object.assign(merged.variable, j.variable || {});
    merged.locals.push(...(j.locals || []));
  }
  return merged;
}

const one = (x) => (Array.isArray(x) ? x[0] : x);
const res = (t, type, name) => one(((t.resource[type] || {})[name]) || []);
const def = (t, v) => one(t.variable[v] || [])?.default;

// Every statement of every policy document, dynamic blocks included.
function statements(t) {
  const out = [];
  for (const [docName, docs] of Object.entries(t.data.aws_iam_policy_document || {})) {
    for (const doc of docs) {
      for (const s of doc.statement || []) out.push({doc: docName, ...s});
      for (const d of (doc.dynamic && doc.dynamic.statement) || []) {
        for (const c of d.content || []) out.push({doc: docName, dynamic: true, ...c});
      }
    }
  }
  return out;
}

const overlap = (a, b) => a.startsWith(b) || b.startsWith(a);

// ---------------------------------------------------------------- the checks

function check(t) {
  const r = [];
  const expect = (name, ok, why) => r.push({name, ok: !!ok, why});
  const fn = res(t, 'aws_lambda_function', 'cutout');

  expect('lambda_handler', fn && fn.handler === 'bootstrap', `handler is ${fn && fn.handler}`);
  expect('lambda_runtime', fn && fn.runtime === 'provided.al2023', `runtime is ${fn && fn.runtime}`);
  expect('lambda_architecture', fn && JSON.stringify(fn.architectures) === '["arm64"]',
         `architectures is ${fn && JSON.stringify(fn.architectures)}`);
  const zip = def(t, 'zip_path');
  expect('lambda_zip', fn && fn.filename === '${var.zip_path}' && /lambda-arm64\.zip$/.test(zip || '') &&
         /filebase64sha256\(var\.zip_path\)/.test(fn.source_code_hash || ''),
         `filename ${fn && fn.filename}, default zip ${zip}`);
  const env = JSON.stringify((fn && fn.environment) || '');
  expect('lambda_env', /INPUT_PREFIX\s*=\s*var\.input_prefix/.test(env) && /OUTPUT_PREFIX\s*=\s*var\.output_prefix/.test(env) &&
         /OUTPUT_BUCKET\s*=/.test(env) && /MODEL\s*=/.test(env), 'INPUT_PREFIX/OUTPUT_PREFIX/OUTPUT_BUCKET/MODEL not passed');

  // IAM: object actions only on prefix-scoped ARNs; nothing broader; logs only to the function's group
  const st = statements(t).filter((s) => s.doc === 'fn');
  const problems = [];
  let gets = 0, puts = 0;
  for (const s of st) {
    for (const a of s.actions || []) {
      if (a === '*' || a === 's3:*' || /^s3:.*\*/.test(a)) problems.push(`wildcard action ${a}`);
      if (/^s3:Delete/.test(a)) problems.push(`${a} is not needed`);
      if (/^s3:GetObject/.test(a)) {
        gets++;
        for (const x of s.resources || []) {
          if (x !== '${aws_s3_bucket.input.arn}/${var.input_prefix}*') problems.push(`${a} on ${x}`);
        }
      }
      if (/^s3:PutObject/.test(a)) {
        puts++;
        for (const x of s.resources || []) {
          if (x !== '${local.output_bucket_arn}/${var.output_prefix}*') problems.push(`${a} on ${x}`);
        }
      }
      if (/^logs:/.test(a)) {
        for (const x of s.resources || []) {
          if (!/^\$\{aws_cloudwatch_log_group\.fn\.arn\}:\*$/.test(x)) problems.push(`${a} on ${x}`);
        }
      }
    }
    if ((s.resources || []).includes('*')) problems.push(`statement ${s.sid} on "*"`);
  }
  expect('iam_s3_scoped_to_prefixes', gets && puts && !problems.length,
         problems.join('; ') || `GetObject statements ${gets}, PutObject statements ${puts}`);
  const role = res(t, 'aws_iam_role_policy', 'fn');
  expect('iam_policy_attached', role && role.policy === '${data.aws_iam_policy_document.fn.json}' &&
         role.role === '${aws_iam_role.fn.id}', 'the role policy is not the fn document');
  const lg = res(t, 'aws_cloudwatch_log_group', 'fn');
  expect('log_group_is_the_functions', lg && lg.name === '/aws/lambda/${var.name}' && fn && fn.function_name === '${var.name}',
         `log group ${lg && lg.name}`);

  // the trigger: every filter uses the trigger prefix, ObjectCreated only
  const notif = res(t, 'aws_s3_bucket_notification', 'uploads');
  const blocks = [];
  for (const kind of ['lambda_function', 'queue']) {
    for (const d of (notif && notif.dynamic && notif.dynamic[kind]) || []) blocks.push(...(d.content || []));
    blocks.push(...((notif && notif[kind]) || []));
  }
  const badFilters = blocks.filter((b) => b.filter_prefix !== '${var.input_prefix}' ||
                                          JSON.stringify(b.events) !== '["s3:ObjectCreated:*"]');
  expect('trigger_uses_input_prefix', notif && blocks.length >= 2 && !badFilters.length,
         `${blocks.length} filters, ${badFilters.length} without filter_prefix = var.input_prefix`);

  // the recursion guard: defaults, the precondition, and the example tfvars
  const ip = def(t, 'input_prefix'), op = def(t, 'output_prefix'), ob = def(t, 'output_bucket_name');
  expect('guard_defaults_disjoint', typeof ip === 'string' && typeof op === 'string' && (ob || (ip !== '' && !overlap(ip, op))),
         `input_prefix '${ip}', output_prefix '${op}' overlap in one bucket`);
  const pre = JSON.stringify((fn && fn.lifecycle) || '');
  expect('guard_precondition', /startswith\(var\.output_prefix, var\.input_prefix\)/.test(pre) &&
         /startswith\(var\.input_prefix, var\.output_prefix\)/.test(pre) && /var\.input_prefix != \\"\\"/.test(pre) &&
         /local\.separate_output/.test(pre), 'no precondition refusing overlapping prefixes');
  const tv = t.tfvars;
  if (Object.keys(tv).length) {
    const tip = tv.input_prefix ?? ip, top = tv.output_prefix ?? op;
    expect('guard_example_tfvars', tv.output_bucket_name || (tip !== '' && !overlap(tip, top)),
           `example tfvars: '${tip}' and '${top}' overlap`);
  }
  const perm = res(t, 'aws_lambda_permission', 's3');
  expect('s3_may_invoke', perm && perm.principal === 's3.amazonaws.com' && perm.action === 'lambda:InvokeFunction' &&
         perm.source_arn === '${aws_s3_bucket.input.arn}' && perm.source_account,
         'lambda permission for s3.amazonaws.com scoped to the input bucket and account');

  // the SQS path
  const q = res(t, 'aws_sqs_queue', 'jobs'), dlq = res(t, 'aws_sqs_queue', 'dlq');
  const esm = res(t, 'aws_lambda_event_source_mapping', 'jobs');
  expect('sqs_switch', q && dlq && esm && [q, dlq, esm].every((x) => /var\.use_sqs/.test(x.count || '')),
         'the queues and the mapping are not switched by var.use_sqs');
  expect('sqs_dead_letter_queue', q && /deadLetterTargetArn\s*=\s*aws_sqs_queue\.dlq\[0\]\.arn/.test(q.redrive_policy || '') &&
         /maxReceiveCount\s*=/.test(q.redrive_policy || ''), `redrive_policy: ${q && q.redrive_policy}`);
  expect('sqs_reports_batch_item_failures', esm && JSON.stringify(esm.function_response_types) === '["ReportBatchItemFailures"]' &&
         esm.event_source_arn === '${aws_sqs_queue.jobs[0].arn}', `function_response_types ${esm && JSON.stringify(esm.function_response_types)}`);
  const vis = /^\$\{(\d+) \* var\.timeout_s\}$/.exec((q && String(q.visibility_timeout_seconds)) || '');
  expect('sqs_visibility_covers_timeout', vis && Number(vis[1]) >= 6, `visibility_timeout_seconds ${q && q.visibility_timeout_seconds}`);
  const qs = statements(t).filter((s) => s.doc === 'queue');
  expect('sqs_only_from_input_bucket', qs.length && qs.every((s) => JSON.stringify(s.condition || []).includes('${aws_s3_bucket.input.arn}')),
         'the queue policy does not restrict aws:SourceArn to the input bucket');
  return r;
}

// ---------------------------------------------------------------- mutations that each check must catch

const MUTATIONS = [
  ['iam.tf', '"${aws_s3_bucket.input.arn}/${var.input_prefix}*"', '"*"', 'iam_s3_scoped_to_prefixes'],
  ['iam.tf', '"${local.output_bucket_arn}/${var.output_prefix}*"', '"${local.output_bucket_arn}/*"', 'iam_s3_scoped_to_prefixes'],
  ['iam.tf', '["s3:PutObject"]', '["s3:PutObject", "s3:DeleteObject"]', 'iam_s3_scoped_to_prefixes'],
  ['iam.tf', '"${aws_cloudwatch_log_group.fn.arn}:*"', '"*"', 'iam_s3_scoped_to_prefixes'],
  ['lambda.tf', 'handler          = "bootstrap"', 'handler          = "index.handler"', 'lambda_handler'],
  ['lambda.tf', '"provided.al2023"', '"provided.al2"', 'lambda_runtime'],
  ['lambda.tf', '["arm64"]', '["x86_64"]', 'lambda_architecture'],
  ['lambda.tf', 'OUTPUT_PREFIX = var.output_prefix', 'OUTPUT_PREFIX = "cutouts/"', 'lambda_env'],
  ['lambda.tf', '!startswith(var.input_prefix, var.output_prefix)', 'true', 'guard_precondition'],
  ['variables.tf', 'default     = "cutouts/"', 'default     = "uploads/cutouts/"', 'guard_defaults_disjoint'],
  ['variables.tf', 'default     = "uploads/"', 'default     = ""', 'guard_defaults_disjoint'],
  ['s3.tf', 'filter_prefix       = var.input_prefix', 'filter_prefix       = ""', 'trigger_uses_input_prefix'],
  ['s3.tf', 'filter_prefix = var.input_prefix', 'filter_prefix = "cutouts/"', 'trigger_uses_input_prefix'],
  ['sqs.tf', 'deadLetterTargetArn = aws_sqs_queue.dlq[0].arn', 'deadLetterTargetArn = ""', 'sqs_dead_letter_queue'],
  ['sqs.tf', 'function_response_types = ["ReportBatchItemFailures"]', '', 'sqs_reports_batch_item_failures'],
  ['sqs.tf', '6 * var.timeout_s', '1 * var.timeout_s', 'sqs_visibility_covers_timeout'],
  ['lambda.tf', 'principal      = "s3.amazonaws.com"', 'principal      = "*"', 's3_may_invoke'],
  ['terraform.tfvars.example', 'output_prefix     = "cutouts/"', 'output_prefix     = "uploads/out/"', 'guard_example_tfvars'],
];

(async () => {
  const files = {};
  for (const f of fs.readdirSync(dir)) {
    if (f.endsWith('.tf') || f.endsWith('.tfvars.example')) files[f] = fs.readFileSync(path.join(dir, f), 'utf8');
  }
  let results;
  try {
    results = check(await load(files));
  } catch (e) {
    console.log(`FAIL terraform_parse: ${e.message.split('\n')[0]}`);
    process.exit(1);
  }
  for (const x of results) console.log(x.ok ? `ok terraform_${x.name}` : `FAIL terraform_${x.name}: ${x.why}`);
  for (const [file, from, to, name] of MUTATIONS) {
    const label = `terraform_catches_${name}: ${file}: ${from.slice(0, 50)} -> ${to.slice(0, 30)}`;
    if (!files[file] || !files[file].includes(from)) {
      console.log(`FAIL ${label}: the text to break is not in ${file}`);
      continue;
    }
    const broken = {...files, [file]: files[file].replace(from, to)};
    const r = check(await load(broken)).find((x) => x.name === name);
    console.log(r && !r.ok ? `ok ${label.split(':')[0]} (${file})` : `FAIL ${label}: not detected`);
  }
})();
