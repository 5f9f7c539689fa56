package x
func (
