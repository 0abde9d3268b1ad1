
_b2img_completion() {
    local IFS=$'
'
    COMPREPLY=( $( env COMP_WORDS="${COMP_WORDS[*]}" \
                   COMP_CWORD=$COMP_CWORD \
                   _B2IMG_COMPLETE=complete_bash $1 ) )
    return 0
}

complete -o default -F _b2img_completion b2img

