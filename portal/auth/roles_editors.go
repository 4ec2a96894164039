package auth

import "slices"

// EditorsOf returns the user IDs the roles file names as editors of
// department (its managers, for 一线上报), sorted. People who edit only
// through an IdP group are not listed: their groups are known at sign-in.
func (r *Roles) EditorsOf(department string) []string {
	if r == nil {
		return nil
	}
	var out []string
	for id, depts := range r.editors {
		if slices.Contains(depts, department) {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// Departments lists the departments the roles file names editors for, sorted.
func (r *Roles) Departments() []string {
	if r == nil {
		return nil
	}
	var out []string
	for _, depts := range r.editors {
		out = append(out, depts...)
	}
	return sortedUnique(out)
}
