/* A probe description with five fields. */
foo:bar:baz:qux:quux
{
}
