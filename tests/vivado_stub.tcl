# Stand-ins for the Vivado commands, so that plain tclsh can source rtl/vivado.tcl,
# rtl/fpgagen.xdc and system/build.tcl (tests/tcl_stub.py runs them). Every stubbed call is
# appended to $stub_log, one line per call: the command name and its arguments, tab-separated.
# Reports, checkpoints and the files a project's runs would write (wrapper, hardware handoff,
# bitstream) are written as stand-in files. A command that is neither Tcl nor stubbed is logged
# as UNKNOWN and is an error.
#
# Set before sourcing this file:
#   stub_log       the log file
#   stub_commands  the Vivado commands to stub as "log and return nothing"
#   stub(...)      what the queries answer (defaults below): cells per primitive family,
#                  whether block RAMs hold non-zero INIT values, setup/hold slack, and whether
#                  there are timed paths at all; the installed board parts (* = any asked for),
#                  whether the IP catalog has the core, the bus interfaces packaging did not
#                  find, the runs' status, whether impl_1 writes a bitstream, and the PL clock
#                  the PS reports (empty = none)

foreach {key value} {ramb36 300 ramb18 60 uram 0 dsp 512 init 1 wns 0.125 whs 0.040 paths 1
                     board_parts * ipdef 1 missing_busifs {} bitstream 1 act_mhz {}
                     synth_status {synth_design Complete!}
                     impl_status {write_bitstream Complete!}} {
    if {![info exists stub($key)]} {
        set stub($key) $value
    }
}
namespace eval ::ipx {}
# the project and block design the script opened last: where its runs write
array set stub_state {project_dir {} project {} bd {} top {}}

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
    if {[namespace qualifiers $stub_command] ne ""} {
        namespace eval ::[namespace qualifiers $stub_command] {}
    }
    proc ::$stub_command args "stub_generic $stub_command \$args"
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
    switch -glob -- $name {
        STATUS {
            return $::stub([string range $objects 0 end-2]_status)
        }
        PROGRESS {
            return 100%
        }
        DIRECTORY {
            return [stub_project_file runs $objects]
        }
        OFFSET {
            return 0x40000000
        }
        RANGE {
            return 64K
        }
        CONFIG.*ACT* {
            return $::stub(act_mhz)
        }
    }
    if {[string match INIT* $name]} {
        set value [expr {$::stub(init) && $name eq "INIT_00" ? "256'h[string repeat 0 62]A5"
                         : "256'h[string repeat 0 64]"}]
        return [lrepeat [llength $objects] $value]
    }
    error "stub get_property: unexpected property $name"
}

# the arguments that are not options, flattened
proc stub_plain {arguments} {
    set plain {}
    foreach a $arguments {
        if {![string match -* $a]} {
            set plain [concat $plain $a]
        }
    }
    return $plain
}

# queries that find what they are asked for: the objects named
foreach stub_command {get_ports get_bd_cells get_bd_pins get_bd_intf_pins get_bd_addr_spaces
                      get_runs current_fileset current_project ipx::get_bus_parameters} {
    if {[namespace qualifiers $stub_command] ne ""} {
        namespace eval ::[namespace qualifiers $stub_command] {}
    }
    proc ::$stub_command args "stub_record $stub_command \$args; return \[stub_plain \$args\]"
}

proc get_bd_addr_segs args {
    stub_record get_bd_addr_segs $args
    return {SEG_fpgagen_0_reg0 SEG_axi_dma_0_reg}
}

proc get_ipdefs args {
    stub_record get_ipdefs $args
    return [expr {$::stub(ipdef) ? [stub_plain $args] : {}}]
}

proc ipx::current_core args {
    stub_record ipx::current_core $args
    return core_0
}

# every interface but those packaging "did not find"
proc ipx::get_bus_interfaces args {
    stub_record ipx::get_bus_interfaces $args
    set found {}
    foreach name [lrange [stub_plain $args] 0 end-1] {
        if {$name ni $::stub(missing_busifs)} {
            lappend found $name
        }
    }
    return $found
}

# the board parts installed that match the pattern (the newest one with -latest_file_version)
proc get_board_parts args {
    stub_record get_board_parts $args
    set pattern [stub_plain $args]
    if {$::stub(board_parts) eq "*"} {
        return [expr {[string first * $pattern] >= 0 ? {} : $pattern}]
    }
    set found [lsort -dictionary [lsearch -all -inline -glob $::stub(board_parts) $pattern]]
    if {"-latest_file_version" in $args} {
        return [lrange $found end end]
    }
    return $found
}

proc create_project args {
    stub_record create_project $args
    lassign [stub_plain $args] name dir
    file mkdir $dir
    array set ::stub_state [list project $name project_dir [file normalize $dir]]
}

proc create_bd_design args {
    stub_record create_bd_design $args
    set ::stub_state(bd) [stub_plain $args]
}

proc set_property args {
    stub_record set_property $args
    set plain [stub_plain $args]
    if {[string tolower [lindex $plain 0]] eq "top"} {
        set ::stub_state(top) [lindex $plain 1]
    }
}

# files under the project, where Vivado 2020.2+ puts them
proc stub_project_file {kind args} {
    set base [file join $::stub_state(project_dir) $::stub_state(project).$kind]
    return [eval file join [list $base] $args]
}

proc stub_touch {path} {
    file mkdir [file dirname $path]
    set fh [open $path w]
    puts $fh stub
    close $fh
    return $path
}

proc generate_target args {
    stub_record generate_target $args
    set bd $::stub_state(bd)
    stub_touch [stub_project_file gen sources_1 bd $bd hw_handoff $bd.hwh]
}

proc make_wrapper args {
    stub_record make_wrapper $args
    set bd $::stub_state(bd)
    return [stub_touch [stub_project_file gen sources_1 bd $bd hdl ${bd}_wrapper.v]]
}

# the block design's generated files by pattern; any other file by its name
proc get_files args {
    stub_record get_files $args
    set pattern [stub_plain $args]
    if {"-of_objects" in $args} {
        set pattern [lindex $pattern end]
        set bd $::stub_state(bd)
        set hwh [stub_project_file gen sources_1 bd $bd hw_handoff $bd.hwh]
        return [expr {[file isfile $hwh] && [string match $pattern $hwh] ? $hwh : {}}]
    }
    return $pattern
}

proc launch_runs args {
    stub_record launch_runs $args
    set run [lindex [stub_plain $args] 0]
    if {$run eq "impl_1" && [stub_option $args -to_step] eq "write_bitstream"
        && $::stub(bitstream)} {
        stub_touch [stub_project_file runs impl_1 $::stub_state(top).bit]
    }
}

proc version args {
    stub_record version $args
    return 2099.1
}

proc unknown args {
    stub_record UNKNOWN $args
    error "invalid command name \"[lindex $args 0]\" (neither Tcl nor a stubbed Vivado command)"
}
