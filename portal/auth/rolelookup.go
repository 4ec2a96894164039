package auth

// The lookups below are the one place that answers "who holds this role"
// for routing (moderation queue notifications, 一线上报): the roles file and
// the roles administrators granted in the portal, together. People who hold
// a role only through an IdP group are not listed: their groups are known
// only when they sign in.

// ModeratorsWith lists the people told about the moderation queue: the
// administrators and moderators of the roles file and the granted
// moderators, sorted and unique.
func (g GrantSet) ModeratorsWith(r *Roles) []string {
	return sortedUnique(append(append(r.Admins(), r.Moderators()...), g.Moderators...))
}

// EditorsWith lists the editors (managers) of department from the roles
// file and the grants, sorted and unique.
func (g GrantSet) EditorsWith(r *Roles, department string) []string {
	return sortedUnique(append(r.EditorsOf(department), g.Editors[department]...))
}

// DepartmentsWith lists the departments that have at least one editor in
// the roles file or the grants, sorted.
func (g GrantSet) DepartmentsWith(r *Roles) []string {
	out := r.Departments()
	for d, ids := range g.Editors {
		if len(ids) > 0 {
			out = append(out, d)
		}
	}
	return sortedUnique(out)
}
