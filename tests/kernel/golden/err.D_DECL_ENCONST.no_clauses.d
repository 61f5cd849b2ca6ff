/* A declaration error is reported before the program is found to have no clauses. */
enum e {
	TAG = "not an integer constant"
};
