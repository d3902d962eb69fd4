/** @differentiable */
export   function   marked ( x )   {   return   x  *  x  *  x ;   }
