package ok

// héllo 😀
var s = "é"
