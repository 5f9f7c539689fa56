package ok

var t = "😀"; var u = ) 
