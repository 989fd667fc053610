/**
 * The served OpenAPI document as a validator of real answers: every schema compiled by ajv
 * (JSON Schema 2020-12, strict) by JSON pointer, so `#/components/...` references resolve as in
 * the document. Shared by tests that hold the server to its document.
 */
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { HttpResult } from './http';

type Json = any;

const DOC_ID = 'https://model-gateway.invalid/openapi.json';

export const pointer = (...parts: string[]) => '/' + parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

export interface DocValidator {
  doc: Json;
  valueAt(ptr: string): Json;
  /** Follows `$ref`s to components; returns the object and where it lives. */
  resolve(ptr: string): { node: Json; ptr: string };
  validatorAt(ptr: string): ValidateFunction;
  /** The request-body validator of an operation. */
  requestValidator(method: string, path: string): ValidateFunction;
  /** Throws unless the answer's status, body and declared headers are what the document says for it. */
  conforms(method: string, path: string, res: HttpResult): void;
}

export function explain(validate: ValidateFunction): string {
  return JSON.stringify(validate.errors?.map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`));
}

export function docValidator(doc: Json): DocValidator {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  addFormats(ajv);
  // Resolving a reference compiles the root: its two OpenAPI members are declared as keywords
  // that validate nothing, so strict mode accepts them.
  ajv.addKeyword({ keyword: 'paths' });
  ajv.addKeyword({ keyword: 'components' });
  ajv.addSchema({ $id: DOC_ID, paths: doc.paths, components: doc.components }, undefined, undefined, false);
  const validators = new Map<string, ValidateFunction>();

  const valueAt = (ptr: string): Json =>
    ptr
      .split('/')
      .slice(1)
      .reduce((node, part) => node?.[part.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
  const resolve = (ptr: string) => {
    let node = valueAt(ptr);
    while (node && typeof node.$ref === 'string' && node.$ref.startsWith('#/components/') && Object.keys(node).length === 1) {
      ptr = node.$ref.slice(1);
      node = valueAt(ptr);
    }
    return { node, ptr };
  };
  const validatorAt = (ptr: string): ValidateFunction => {
    let validate = validators.get(ptr);
    if (!validate) {
      validate = ajv.compile({ $ref: `${DOC_ID}#${ptr}` });
      validators.set(ptr, validate);
    }
    return validate;
  };
  const requestValidator = (method: string, path: string) => {
    const body = resolve(`${pointer('paths', path, method.toLowerCase())}/requestBody`);
    return validatorAt(`${body.ptr}/content/application~1json/schema`);
  };
  const conforms = (method: string, path: string, res: HttpResult) => {
    const m = method.toLowerCase();
    const opPtr = pointer('paths', path, m);
    const operation = valueAt(opPtr);
    const where = `${method.toUpperCase()} ${path} ${res.status}`;
    if (!operation) throw new Error(`the document has no ${method.toUpperCase()} ${path}`);
    const status = String(res.status);
    if (!operation.responses[status]) throw new Error(`${where}: a status the document does not declare: ${res.text}`);
    const response = resolve(`${opPtr}/responses/${status}`);
    if (response.node.content?.['application/json']) {
      if (!/^application\/json/.test(res.headers.get('content-type') ?? '')) throw new Error(`${where}: not JSON`);
      const validate = validatorAt(`${response.ptr}/content/application~1json/schema`);
      if (!validate(res.body)) throw new Error(`${where}: body does not match the declared schema: ${explain(validate)}\n${res.text}`);
    } else if (res.text !== '') {
      throw new Error(`${where}: a body where the document declares none: ${res.text}`);
    }
    const headers: Record<string, Json> = response.node.headers ?? {};
    for (const name of Object.keys(headers)) {
      const header = resolve(`${response.ptr}/headers/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`);
      const value = res.headers.get(name);
      if (value === null) {
        if (header.node.required) throw new Error(`${where}: the declared header ${name} is missing`);
        continue;
      }
      const validate = validatorAt(`${header.ptr}/schema`);
      if (!validate(value)) throw new Error(`${where}: header ${name}: ${value} does not match: ${explain(validate)}`);
    }
    if (!Object.keys(headers).some((name) => name.toLowerCase() === 'etag') && res.headers.get('etag') !== null) {
      throw new Error(`${where}: an ETag the document does not declare`);
    }
  };
  return { doc, valueAt, resolve, validatorAt, requestValidator, conforms };
}
