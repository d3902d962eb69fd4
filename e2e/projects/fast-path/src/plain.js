// No mark and no runtime import: the plugin must not even parse this file (its odd spacing survives).
export   function   plain ( x )   {   return   x  *  10 ;   }
