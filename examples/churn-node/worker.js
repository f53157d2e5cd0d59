#!/usr/bin/env node
// A churn model for Model Factory in Node.js, with nothing but Node's standard library: a worker
// of the `command` runtime. It speaks the factory's worker protocol (docs/worker-protocol.md in
// the Model Factory repository): JSON-RPC 2.0, one message per line, requests on stdin, answers
// on stdout, its log on stderr.
//
// The model is a logistic regression on tenure, contract and monthly charges, trained by
// mini-batch gradient descent on standardised features; the seed decides the order of the rows.
"use strict";

const fs = require("node:fs");
const path = require("node:path");
const readline = require("node:readline");

// stdout carries answers only: anything else the program prints goes to the log.
const answers = process.stdout;
console.log = console.info = console.debug = console.error;

const FEATURES = ["tenure", "monthly", "monthly_charges"];

/** One instance as numbers, in the order of FEATURES. */
function features(instance) {
  const tenure = Number(instance.tenure);
  const charges = Number(instance.monthly_charges);
  if (!Number.isFinite(tenure) || !Number.isFinite(charges)) {
    throw new InvalidParams("an instance needs numbers for tenure and monthly_charges");
  }
  return [tenure, instance.contract === "monthly" ? 1 : 0, charges];
}

/** A CSV file with a header row as a list of objects (no quoted fields in this data). */
function readTable(file) {
  const lines = fs.readFileSync(file, "utf8").split("\n").filter((line) => line.trim() !== "");
  if (lines.length === 0) throw new Error(`${file} has no header row`);
  const header = lines[0].split(",");
  return lines.slice(1).map((line, index) => {
    const fields = line.split(",");
    if (fields.length !== header.length) {
      throw new Error(`${file} row ${index + 2} has ${fields.length} fields; the header has ${header.length}`);
    }
    return Object.fromEntries(header.map((name, column) => [name, fields[column]]));
  });
}

function examples(file) {
  const rows = readTable(file);
  return { x: rows.map(features), y: rows.map((row) => Number(row.churned)) };
}

/** mulberry32: a small seeded generator, so the same seed trains the same weights. */
function generator(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sigmoid = (z) => 1 / (1 + Math.exp(-z));

class Model {
  constructor() {
    this.weights = null;
  }

  train(x, y, seed) {
    const columns = FEATURES.length;
    this.mean = FEATURES.map((_, j) => x.reduce((sum, row) => sum + row[j], 0) / x.length);
    this.scale = FEATURES.map((_, j) => {
      const variance = x.reduce((sum, row) => sum + (row[j] - this.mean[j]) ** 2, 0) / x.length;
      return Math.sqrt(variance) || 1;
    });
    const z = x.map((row) => this.standardise(row));
    this.weights = new Array(columns).fill(0);
    this.bias = 0;
    const random = generator(seed);
    const order = x.map((_, index) => index);
    const rate = 0.1, batch = 32;
    for (let epoch = 0; epoch < 200; epoch++) {
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [order[i], order[j]] = [order[j], order[i]];
      }
      for (let start = 0; start < order.length; start += batch) {
        const rows = order.slice(start, start + batch);
        const gradient = new Array(columns).fill(0);
        let gradientBias = 0;
        for (const index of rows) {
          const error = this.score(z[index]) - y[index];
          for (let j = 0; j < columns; j++) gradient[j] += error * z[index][j];
          gradientBias += error;
        }
        for (let j = 0; j < columns; j++) this.weights[j] -= (rate * gradient[j]) / rows.length;
        this.bias -= (rate * gradientBias) / rows.length;
      }
    }
  }

  standardise(row) {
    return row.map((value, j) => (value - this.mean[j]) / this.scale[j]);
  }

  score(z) {
    return sigmoid(z.reduce((sum, value, j) => sum + value * this.weights[j], this.bias));
  }

  probability(row) {
    return this.score(this.standardise(row));
  }

  toJSON() {
    return { features: FEATURES, mean: this.mean, scale: this.scale, weights: this.weights, bias: this.bias };
  }

  static fromJSON(saved) {
    const model = new Model();
    Object.assign(model, { mean: saved.mean, scale: saved.scale, weights: saved.weights, bias: saved.bias });
    return model;
  }

  /** The same definitions as ModelKit's Score and the Python runner's. */
  metrics(x, y) {
    const scores = x.map((row) => this.probability(row));
    const labels = scores.map((p) => (p >= 0.5 ? 1 : 0));
    const epsilon = 1e-15;
    const logLoss = -y.reduce((sum, label, i) => {
      const p = Math.min(Math.max(scores[i], epsilon), 1 - epsilon);
      return sum + (label === 1 ? Math.log(p) : Math.log(1 - p));
    }, 0) / y.length;
    return {
      auc: rocAUC(y, scores),
      log_loss: logLoss,
      accuracy: labels.filter((label, i) => label === y[i]).length / y.length,
    };
  }
}

/** ROC AUC by ranks, ties sharing their mean rank; null when one class is absent. */
function rocAUC(truth, scores) {
  const positives = truth.filter((t) => t === 1).length;
  const negatives = truth.length - positives;
  if (positives === 0 || negatives === 0) return null;
  const order = scores.map((_, i) => i).sort((a, b) => scores[a] - scores[b]);
  const ranks = new Array(scores.length);
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (end + 1 < order.length && scores[order[end + 1]] === scores[order[start]]) end++;
    for (let k = start; k <= end; k++) ranks[order[k]] = (start + end) / 2 + 1;
    start = end + 1;
  }
  const positiveRanks = truth.reduce((sum, t, i) => sum + (t === 1 ? ranks[i] : 0), 0);
  return (positiveRanks - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** A request whose params are wrong: JSON-RPC's -32602. */
class InvalidParams extends Error {}

function requirePath(params, key) {
  const value = params[key];
  if (typeof value !== "string" || value === "") throw new InvalidParams(`missing params.${key}, a path`);
  return value;
}

let model = null;

function loaded() {
  if (model === null) throw new Error("no model: call train or load first");
  return model;
}

/** Answers one method; what it returns is the JSON-RPC result. */
const methods = {
  describe: () => ({ model: "churn", runtime: `node ${process.version}`, features: FEATURES }),
  train: (params) => {
    const { x, y } = examples(requirePath(params, "data"));
    model = new Model();
    model.train(x, y, Number(params.seed) || 0);
    fs.writeFileSync(path.join(requirePath(params, "artifacts"), "model.json"), JSON.stringify(model) + "\n");
    console.error(`trained on ${x.length} rows`);
    return { metrics: model.metrics(x, y) };
  },
  load: (params) => {
    const file = path.join(requirePath(params, "artifacts"), "model.json");
    model = Model.fromJSON(JSON.parse(fs.readFileSync(file, "utf8")));
    return { loaded: true };
  },
  evaluate: (params) => {
    const { x, y } = examples(requirePath(params, "data"));
    return { metrics: loaded().metrics(x, y) };
  },
  predict: (params) => {
    const instances = params.instances;
    if (!Array.isArray(instances) || !instances.every((i) => i !== null && typeof i === "object" && !Array.isArray(i))) {
      throw new InvalidParams("predict needs params.instances, a list of objects");
    }
    const current = loaded();
    return { predictions: instances.map((i) => ({ churn_probability: current.probability(features(i)) })) };
  },
  health: () => ({ status: "ok" }),
};

function send(message, then) {
  answers.write(JSON.stringify({ jsonrpc: "2.0", ...message }) + "\n", then);
}

let stopping = false;
const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
lines.on("line", (line) => {
  if (stopping || line.trim() === "") return;
  let request;
  try {
    request = JSON.parse(line);
  } catch {
    return send({ id: null, error: { code: -32700, message: "not a JSON-RPC request" } });
  }
  const id = request.id ?? null;
  if (request.method === "shutdown") {
    // Answer, then leave once the answer is written; nothing after it is read.
    stopping = true;
    return send({ id, result: null }, () => process.exit(0));
  }
  const method = methods[request.method];
  if (!method) return send({ id, error: { code: -32601, message: `unknown method '${request.method}'` } });
  try {
    send({ id, result: method(request.params ?? {}) });
  } catch (error) {
    console.error(error.stack);
    const invalid = error instanceof InvalidParams;
    send({ id, error: { code: invalid ? -32602 : -32000, message: invalid ? error.message : `${error.name}: ${error.message}` } });
  }
});
// The end of stdin is the end of the work, as after shutdown.
lines.on("close", () => {
  if (!stopping) process.exit(0);
});
