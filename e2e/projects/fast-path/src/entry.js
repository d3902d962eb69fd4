import { gradient } from "@cotangent/runtime";
import { plain } from "./plain.js";
import { marked } from "./marked.js";
import { libSquare } from "marked-lib";

console.log(JSON.stringify({ plain: plain(2), marked: gradient(marked)(2), lib: libSquare(3) }));
