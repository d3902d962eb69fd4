// Object spread (`{ ...p, x: 1 }`) expanded into fields once the types are known: the derivative
// generators see an ordinary object literal (`{ a: p.a, b: p.b, x: 1 }`), so the tangent and the
// cotangent of each field follow it as for any literal. A later key overrides an earlier one, as
// in JavaScript (unless the spread value lacks that own property: `Object.hasOwn` decides, so an
// optional field left out keeps the earlier value); values are side-effect free after
// normalization, so overridden ones are dropped. Fields are those of the spread value's type
// (declared or inferred); a value whose fields are not known stays unexpanded and is reported.

import { clone, member } from "./build.js";
import type { Expression, ObjectExpression, ObjectProperty, SpreadElement, TypeIR } from "./ir.js";
import type { NFunction } from "./nir.js";
import { IDENTIFIER } from "./queries.js";
import { forEachExpression, stmtExpressions, walkStmts } from "./walk.js";

/** Every object literal in the function that still has a spread. */
export function objectSpreads(fn: NFunction): { object: ObjectExpression; spread: SpreadElement }[] {
  const out: { object: ObjectExpression; spread: SpreadElement }[] = [];
  walkStmts(fn.body, (s) => {
    for (const e of stmtExpressions(s)) collect(e, out);
  });
  collect(fn.result, out);
  return out;
}

function collect(e: Expression, out: { object: ObjectExpression; spread: SpreadElement }[]): void {
  forEachExpression(e, (x) => {
    if (x.type === "ObjectExpression") for (const p of x.properties) if (p.type === "SpreadElement") out.push({ object: x, spread: p });
  });
}

/** The field names a value of this type has, or undefined when they are not known. */
export function fieldNames(t: TypeIR): string[] | undefined {
  if (t.kind !== "object") return undefined;
  return [...Object.keys(t.fields), ...(t.noDerivative ?? [])];
}

/**
 * Expands, in place, the spreads whose value's fields `typeOf` knows. Returns whether any was
 * expanded (types of the holders change, so the caller infers them again).
 */
export function expandObjectSpreads(fn: NFunction, typeOf: (e: Expression) => TypeIR): boolean {
  let changed = false;
  const objects = new Set(objectSpreads(fn).map((s) => s.object));
  for (const o of objects) {
    // A literal is expanded whole or not at all, so a field's last writer is always visible.
    // `{ ...{ w: 1 } }`: a literal's fields are its properties.
    o.properties = o.properties.flatMap((p) =>
      p.type === "SpreadElement" && p.argument.type === "ObjectExpression" && p.argument.properties.every((q) => q.type === "ObjectProperty") ? p.argument.properties : [p],
    );
    const spreads = o.properties.filter((p): p is SpreadElement => p.type === "SpreadElement");
    const fields = spreads.map((s) => fieldNames(typeOf(s.argument)));
    if (fields.some((f) => f === undefined)) continue;
    // Each key's value so far, in order of first appearance (as the object's own keys are).
    const values = new Map<string, { key: Expression; value: Expression; loc: ObjectProperty["loc"] }>();
    let i = 0;
    for (const p of o.properties) {
      if (p.type === "ObjectProperty") {
        values.set(keyOf(p), { key: p.key, value: p.value, loc: p.loc });
        continue;
      }
      for (const name of fields[i++]!) {
        const key: Expression = IDENTIFIER.test(name) ? { type: "Identifier", name } : { type: "StringLiteral", value: name };
        let value: Expression = IDENTIFIER.test(name) ? member(clone(p.argument), name) : member(clone(p.argument), { type: "StringLiteral", value: name }, true);
        // An optional field the spread value lacks leaves the earlier value in place.
        const earlier = values.get(name);
        if (earlier) {
          const has: Expression = { type: "CallExpression", callee: member({ type: "Identifier", name: "Object" }, "hasOwn"), arguments: [clone(p.argument), { type: "StringLiteral", value: name }] };
          value = { type: "ConditionalExpression", test: has, consequent: value, alternate: earlier.value };
        }
        values.set(name, { key, value, loc: earlier?.loc ?? p.loc });
      }
    }
    o.properties = [...values.values()].map(({ key, value, loc }) => ({ type: "ObjectProperty", key, value, computed: false, shorthand: false, loc }));
    changed = true;
  }
  return changed;
}

function keyOf(p: ObjectProperty): string {
  const k = p.key;
  return k.type === "Identifier" ? k.name : k.type === "StringLiteral" ? k.value : k.type === "NumericLiteral" ? String(k.value) : `#${JSON.stringify(k)}`;
}
