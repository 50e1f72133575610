package launcher

// FreeLoopbackAddr lets the tests reserve their addresses the way the
// launcher does.
var FreeLoopbackAddr = freeLoopbackAddr
