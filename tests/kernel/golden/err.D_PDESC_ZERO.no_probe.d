/* A description no provider matches. */
nosuchprovider:::probe
{
}
