// Copied to e2e/out/fast-path/node_modules/marked-lib/index.js by build.mjs: a marked function in
// node_modules, left alone by default and differentiated with `exclude: []`.
/** @differentiable */
export   function   libSquare ( x )   {   return   x  *  x ;   }
