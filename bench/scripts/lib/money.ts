/** Money as whole cents, so sums never pick up floating-point dust. */
export type Cents = number & { readonly brand: unique symbol };

export const cents = (value: number) => Math.round(value) as Cents;

export function sumBy<T>(items: readonly T[], value: (item: T) => number): Cents {
  return cents(items.reduce((sum, item) => sum + value(item), 0));
}
