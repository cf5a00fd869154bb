"""The notebooks; the report template and its nbconvert template ship as costlib.notebooks."""
