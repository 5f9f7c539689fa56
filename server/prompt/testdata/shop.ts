import { Item } from "./item";

export interface Line {
  item: Item;
  count: number;
}

export class Cart {
  private lines: Line[] = [];

  add(item: Item, count = 1): void {
    this.lines.push({ item, count });
  }

  total(): number {
    let sum = 0;
    for (const line of this.lines) {
      sum += line.item.price * line.count;
    }
    return sum;
  }
}
