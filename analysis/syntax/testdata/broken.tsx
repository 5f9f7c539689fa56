const A = () => <div>{1}</div>;
const B = () => <div>{1 +}</div>;  // want "missing identifier"
