#pragma D option quiet
BEGIN { self->x = 1; self->x = "str"; }
