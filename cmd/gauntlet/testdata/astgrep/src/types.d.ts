declare const v = x as any;
