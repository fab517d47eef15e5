/** Constants shared by every layer (the C's own definitions). */

/** degrees per radian, as nanoBragg.c defines RTD */
export const RTD = 180.0 * (1 / Math.PI);
