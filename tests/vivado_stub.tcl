# Stand-ins for the Vivado commands, so that plain tclsh can source rtl/vivado.tcl and
# rtl/fpgagen.xdc (tests/test_vivado.py). Every stubbed call is appended to $stub_log, one line
# per call: the command name and its arguments, tab-separated. Reports and checkpoints are
# written as stand-in files. A command that is neither Tcl nor stubbed is logged as UNKNOWN and
# is an error.
#
# Set before sourcing this file:
#   stub_log       the log file
#   stub_commands  the Vivado commands to stub as "log and return nothing"
#   stub(...)      what the queries answer (defaults below): cells per primitive family,
#                  whether block RAMs hold non-zero INIT values, setup/hold slack, and whether
#                  there are timed paths at all

foreach {key value} {ramb36 300 ramb18 60 uram 0 dsp 512 init 1 wns 0.125 whs 0.040 paths 1} {
    if {![info exists stub($key)]} {
        set stub($key) $value
    }
}

set stub_fh [open $stub_log w]

proc stub_record {name arguments} {
    puts $::stub_fh [join [concat [list $name] $arguments] "\t"]
    flush $::stub_fh
}

# log the call; a report (-file) or checkpoint is written as a one-line file, into a folder
# that must already exist, as Vivado's would be
proc stub_generic {name arguments} {
    stub_record $name $arguments
    set i [lsearch -exact $arguments -file]
    set path [expr {$i >= 0 ? [lindex $arguments [expr {$i + 1}]] : ""}]
    if {$name eq "write_checkpoint"} {
        set path [lindex $arguments end]
    }
    if {$path ne ""} {
        set fh [open $path w]
        puts $fh "stub $name"
        close $fh
    }
}

foreach stub_command $stub_commands {
    proc $stub_command args "stub_generic $stub_command \$args"
}

proc stub_option {arguments option} {
    set i [lsearch -exact $arguments $option]
    return [expr {$i < 0 ? "" : [lindex $arguments [expr {$i + 1}]]}]
}

# N cells named after the primitive family the filter asks for
proc get_cells args {
    stub_record get_cells $args
    set filter [stub_option $args -filter]
    foreach {family key} {RAMB36 ramb36 RAMB18 ramb18 URAM288 uram DSP48E dsp} {
        if {[string match "REF_NAME =~ $family\\*" $filter]} {
            set cells {}
            for {set i 0} {$i < $::stub($key)} {incr i} {
                lappend cells "engine_inst/${key}_$i"
            }
            return $cells
        }
    }
    error "stub get_cells: unexpected filter '$filter'"
}

proc get_timing_paths args {
    stub_record get_timing_paths $args
    if {!$::stub(paths)} {
        return {}
    }
    return [expr {[stub_option $args -delay_type] eq "min" ? "hold_path" : "setup_path"}]
}

proc get_property args {
    stub_record get_property $args
    set plain [lsearch -all -inline -not -glob $args -*]
    lassign $plain name objects
    if {$name eq "SLACK"} {
        return [expr {$objects eq "hold_path" ? $::stub(whs) : $::stub(wns)}]
    }
    if {[string match INIT* $name]} {
        set value [expr {$::stub(init) && $name eq "INIT_00" ? "256'h[string repeat 0 62]A5"
                         : "256'h[string repeat 0 64]"}]
        return [lrepeat [llength $objects] $value]
    }
    error "stub get_property: unexpected property $name"
}

proc get_ports args {
    stub_record get_ports $args
    return $args
}

proc version args {
    stub_record version $args
    return 2099.1
}

proc unknown args {
    stub_record UNKNOWN $args
    error "invalid command name \"[lindex $args 0]\" (neither Tcl nor a stubbed Vivado command)"
}
