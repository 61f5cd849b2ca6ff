#pragma D option quiet
BEGIN { a["x", 1] = 1; }
BEGIN { trace(a["x"]); }
