#pragma D option quiet
struct s { int a; };
struct s v;
BEGIN { trace(v.nosuch); }
